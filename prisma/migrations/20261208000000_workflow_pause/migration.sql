-- AlterTable
ALTER TABLE "Workflow" ADD COLUMN     "pausedAt" TIMESTAMP(3);

