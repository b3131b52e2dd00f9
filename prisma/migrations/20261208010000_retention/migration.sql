-- CreateTable
CREATE TABLE "RetentionState" (
    "key" TEXT NOT NULL,
    "holder" TEXT,
    "leaseUntil" TIMESTAMP(3),
    "eventSeq" BIGINT NOT NULL DEFAULT 0,
    "compactedUntil" TIMESTAMP(3),
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "RetentionState_pkey" PRIMARY KEY ("key")
);

-- CreateIndex
CREATE INDEX "Execution_status_finishedAt_idx" ON "Execution"("status", "finishedAt");
