-- AlterTable
ALTER TABLE "Execution" ADD COLUMN     "wakesScheduleId" TEXT;

-- CreateTable
CREATE TABLE "Schedule" (
    "id" TEXT NOT NULL,
    "workflowId" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "cron" TEXT,
    "timezone" TEXT NOT NULL DEFAULT 'UTC',
    "runAt" TIMESTAMP(3),
    "payload" JSONB NOT NULL DEFAULT '{}',
    "overlap" TEXT NOT NULL DEFAULT 'allow',
    "catchupWindowMs" INTEGER NOT NULL DEFAULT 0,
    "paused" BOOLEAN NOT NULL DEFAULT false,
    "nextFireAt" TIMESTAMP(3),
    "lastScheduledAt" TIMESTAMP(3),
    "lastFiredAt" TIMESTAMP(3),
    "lastExecutionId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Schedule_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ScheduleFiring" (
    "id" TEXT NOT NULL,
    "scheduleId" TEXT,
    "workflowId" TEXT NOT NULL,
    "scheduleKey" TEXT NOT NULL,
    "scheduledAt" TIMESTAMP(3) NOT NULL,
    "firedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "status" TEXT NOT NULL,
    "manual" BOOLEAN NOT NULL DEFAULT false,
    "executionId" TEXT,
    "reason" TEXT,
    "missedCount" INTEGER,

    CONSTRAINT "ScheduleFiring_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Schedule_nextFireAt_idx" ON "Schedule"("nextFireAt");

-- CreateIndex
CREATE UNIQUE INDEX "Schedule_workflowId_key_key" ON "Schedule"("workflowId", "key");

-- CreateIndex
CREATE UNIQUE INDEX "ScheduleFiring_executionId_key" ON "ScheduleFiring"("executionId");

-- CreateIndex
CREATE INDEX "ScheduleFiring_scheduleId_scheduledAt_idx" ON "ScheduleFiring"("scheduleId", "scheduledAt" DESC);

-- CreateIndex
CREATE INDEX "ScheduleFiring_status_scheduleId_idx" ON "ScheduleFiring"("status", "scheduleId");

-- CreateIndex
CREATE UNIQUE INDEX "ScheduleFiring_workflowId_scheduleKey_scheduledAt_key" ON "ScheduleFiring"("workflowId", "scheduleKey", "scheduledAt");

-- AddForeignKey
ALTER TABLE "Schedule" ADD CONSTRAINT "Schedule_workflowId_fkey" FOREIGN KEY ("workflowId") REFERENCES "Workflow"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ScheduleFiring" ADD CONSTRAINT "ScheduleFiring_scheduleId_fkey" FOREIGN KEY ("scheduleId") REFERENCES "Schedule"("id") ON DELETE SET NULL ON UPDATE CASCADE;

