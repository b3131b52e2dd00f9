-- AlterEnum
ALTER TYPE "ExecutionStatus" ADD VALUE 'SKIPPED';

-- AlterTable
ALTER TABLE "Workflow" ADD COLUMN     "flowControl" JSONB;

-- AlterTable
ALTER TABLE "WorkflowVersion" ADD COLUMN     "flowControl" JSONB;

-- CreateTable
CREATE TABLE "ExecutionFlow" (
    "executionId" TEXT NOT NULL,
    "workflowId" TEXT NOT NULL,
    "concurrencyKeys" TEXT[],
    "rateKey" TEXT,
    "priority" INTEGER NOT NULL DEFAULT 0,
    "fairKey" TEXT NOT NULL,

    CONSTRAINT "ExecutionFlow_pkey" PRIMARY KEY ("executionId")
);

-- CreateTable
CREATE TABLE "CapacityWait" (
    "executionId" TEXT NOT NULL,
    "workflowId" TEXT NOT NULL,
    "resuming" BOOLEAN NOT NULL DEFAULT false,
    "priority" INTEGER NOT NULL DEFAULT 0,
    "fairKey" TEXT NOT NULL DEFAULT '',
    "seq" BIGSERIAL NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "CapacityWait_pkey" PRIMARY KEY ("executionId")
);

-- CreateTable
CREATE TABLE "FlowSlot" (
    "executionId" TEXT NOT NULL,
    "entry" INTEGER NOT NULL,
    "workflowId" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "grantedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "FlowSlot_pkey" PRIMARY KEY ("executionId","entry")
);

-- CreateTable
CREATE TABLE "FlowStart" (
    "executionId" TEXT NOT NULL,
    "workflowId" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "FlowStart_pkey" PRIMARY KEY ("executionId")
);

-- CreateTable
CREATE TABLE "FlowLine" (
    "workflowId" TEXT NOT NULL,
    "fairKey" TEXT NOT NULL,
    "servedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "FlowLine_pkey" PRIMARY KEY ("workflowId","fairKey")
);

-- CreateTable
CREATE TABLE "DebounceEvent" (
    "workflowId" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "eventId" TEXT NOT NULL,
    "eventSeq" BIGINT NOT NULL,
    "receivedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "DebounceEvent_pkey" PRIMARY KEY ("workflowId","eventId")
);

-- CreateIndex
CREATE INDEX "CapacityWait_workflowId_fairKey_resuming_priority_seq_idx" ON "CapacityWait"("workflowId", "fairKey", "resuming" DESC, "priority" DESC, "seq");

-- CreateIndex
CREATE INDEX "FlowSlot_workflowId_entry_key_grantedAt_idx" ON "FlowSlot"("workflowId", "entry", "key", "grantedAt");

-- CreateIndex
CREATE INDEX "FlowStart_workflowId_key_startedAt_idx" ON "FlowStart"("workflowId", "key", "startedAt");

-- CreateIndex
CREATE INDEX "DebounceEvent_workflowId_key_eventSeq_idx" ON "DebounceEvent"("workflowId", "key", "eventSeq");

-- AddForeignKey
ALTER TABLE "ExecutionFlow" ADD CONSTRAINT "ExecutionFlow_executionId_fkey" FOREIGN KEY ("executionId") REFERENCES "Execution"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CapacityWait" ADD CONSTRAINT "CapacityWait_executionId_fkey" FOREIGN KEY ("executionId") REFERENCES "Execution"("id") ON DELETE CASCADE ON UPDATE CASCADE;

