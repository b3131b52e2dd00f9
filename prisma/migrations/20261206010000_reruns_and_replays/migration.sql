-- AlterTable
ALTER TABLE "Execution" ADD COLUMN     "dataOverrides" JSONB,
ADD COLUMN     "replayId" TEXT,
ADD COLUMN     "rerunFromNodeId" TEXT,
ADD COLUMN     "rerunOfId" TEXT;

-- CreateTable
CREATE TABLE "Replay" (
    "id" TEXT NOT NULL,
    "workflowId" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'RUNNING',
    "filter" JSONB NOT NULL,
    "fromFailedStep" BOOLEAN NOT NULL DEFAULT true,
    "total" INTEGER NOT NULL,
    "rerun" INTEGER NOT NULL DEFAULT 0,
    "skipped" INTEGER NOT NULL DEFAULT 0,
    "cursorAt" TIMESTAMP(3),
    "cursorId" TEXT,
    "leaseUntil" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "Replay_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Replay_status_idx" ON "Replay"("status");

-- CreateIndex
CREATE INDEX "Execution_rerunOfId_idx" ON "Execution"("rerunOfId");

-- CreateIndex
CREATE UNIQUE INDEX "Execution_replayId_rerunOfId_key" ON "Execution"("replayId", "rerunOfId");

-- AddForeignKey
ALTER TABLE "Execution" ADD CONSTRAINT "Execution_rerunOfId_fkey" FOREIGN KEY ("rerunOfId") REFERENCES "Execution"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Execution" ADD CONSTRAINT "Execution_replayId_fkey" FOREIGN KEY ("replayId") REFERENCES "Replay"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Replay" ADD CONSTRAINT "Replay_workflowId_fkey" FOREIGN KEY ("workflowId") REFERENCES "Workflow"("id") ON DELETE CASCADE ON UPDATE CASCADE;

