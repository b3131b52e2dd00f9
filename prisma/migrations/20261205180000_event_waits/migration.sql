-- wait_for_event, cancelOn and execution timeouts (issue 19): events get a receive order (seq),
-- executions a deadline, and waits, their candidate events and the resumes get tables of their own.
-- AlterTable
ALTER TABLE "Event" ADD COLUMN     "seq" BIGSERIAL NOT NULL;

-- AlterTable
ALTER TABLE "Execution" ADD COLUMN     "deadlineAt" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "Workflow" ADD COLUMN     "cancelOn" JSONB,
ADD COLUMN     "timeoutMs" INTEGER;

-- AlterTable
ALTER TABLE "WorkflowVersion" ADD COLUMN     "cancelOn" JSONB,
ADD COLUMN     "timeoutMs" INTEGER;

-- CreateTable
CREATE TABLE "EventWait" (
    "id" TEXT NOT NULL,
    "executionId" TEXT NOT NULL,
    "stepId" TEXT,
    "match" JSONB NOT NULL,
    "keyPath" TEXT,
    "keyValue" TEXT,
    "afterSeq" BIGINT,
    "notBefore" TIMESTAMP(3),
    "checkedSeq" BIGINT,
    "failOnTimeout" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "EventWait_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "WaitCandidate" (
    "waitId" TEXT NOT NULL,
    "eventSeq" BIGINT NOT NULL,
    "eventId" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "WaitCandidate_pkey" PRIMARY KEY ("waitId","eventSeq")
);

-- CreateTable
CREATE TABLE "EventResume" (
    "stepId" TEXT NOT NULL,
    "executionId" TEXT NOT NULL,
    "eventId" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "EventResume_pkey" PRIMARY KEY ("stepId")
);

-- CreateIndex
CREATE UNIQUE INDEX "EventWait_stepId_key" ON "EventWait"("stepId");

-- CreateIndex
CREATE INDEX "EventWait_keyPath_keyValue_idx" ON "EventWait"("keyPath", "keyValue");

-- CreateIndex
CREATE INDEX "EventWait_executionId_idx" ON "EventWait"("executionId");

-- CreateIndex
CREATE INDEX "WaitCandidate_createdAt_idx" ON "WaitCandidate"("createdAt");

-- CreateIndex
CREATE INDEX "EventResume_eventId_idx" ON "EventResume"("eventId");

-- CreateIndex
CREATE UNIQUE INDEX "EventResume_executionId_eventId_key" ON "EventResume"("executionId", "eventId");

-- CreateIndex
CREATE UNIQUE INDEX "Event_seq_key" ON "Event"("seq");

-- AddForeignKey
ALTER TABLE "EventWait" ADD CONSTRAINT "EventWait_executionId_fkey" FOREIGN KEY ("executionId") REFERENCES "Execution"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "EventResume" ADD CONSTRAINT "EventResume_eventId_fkey" FOREIGN KEY ("eventId") REFERENCES "Event"("id") ON DELETE CASCADE ON UPDATE CASCADE;

