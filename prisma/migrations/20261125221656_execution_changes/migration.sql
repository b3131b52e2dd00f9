-- CreateTable
CREATE TABLE "ExecutionChange" (
    "executionId" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "stepId" TEXT,
    "nodeId" TEXT,
    "status" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ExecutionChange_pkey" PRIMARY KEY ("executionId","seq")
);

-- AddForeignKey
ALTER TABLE "ExecutionChange" ADD CONSTRAINT "ExecutionChange_executionId_fkey" FOREIGN KEY ("executionId") REFERENCES "Execution"("id") ON DELETE CASCADE ON UPDATE CASCADE;
