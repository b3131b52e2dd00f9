-- AlterTable
ALTER TABLE "Execution" ADD COLUMN     "callDepth" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "childIndex" INTEGER,
ADD COLUMN     "parentExecutionId" TEXT,
ADD COLUMN     "parentStepId" TEXT;

-- CreateTable
CREATE TABLE "ChildBatch" (
    "stepId" TEXT NOT NULL,
    "executionId" TEXT NOT NULL,
    "mode" TEXT NOT NULL,
    "workflowId" TEXT NOT NULL,
    "workflowVersion" INTEGER NOT NULL,
    "input" JSONB NOT NULL,
    "count" INTEGER NOT NULL,
    "maxConcurrency" INTEGER NOT NULL,
    "tolerated" INTEGER NOT NULL,
    "settled" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ChildBatch_pkey" PRIMARY KEY ("stepId")
);

-- CreateIndex
CREATE INDEX "ChildBatch_executionId_idx" ON "ChildBatch"("executionId");

-- CreateIndex
CREATE INDEX "Execution_parentExecutionId_childIndex_idx" ON "Execution"("parentExecutionId", "childIndex");

-- CreateIndex
CREATE UNIQUE INDEX "Execution_parentStepId_childIndex_key" ON "Execution"("parentStepId", "childIndex");

-- AddForeignKey
ALTER TABLE "Execution" ADD CONSTRAINT "Execution_parentExecutionId_fkey" FOREIGN KEY ("parentExecutionId") REFERENCES "Execution"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ChildBatch" ADD CONSTRAINT "ChildBatch_executionId_fkey" FOREIGN KEY ("executionId") REFERENCES "Execution"("id") ON DELETE CASCADE ON UPDATE CASCADE;

