-- DropIndex
DROP INDEX "Step_executionId_createdAt_idx";

-- AlterTable
ALTER TABLE "Step" ADD COLUMN     "seq" INTEGER NOT NULL DEFAULT 0;

-- CreateIndex
CREATE INDEX "Step_executionId_seq_idx" ON "Step"("executionId", "seq");
