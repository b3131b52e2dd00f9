-- AlterTable
ALTER TABLE "Execution" ADD COLUMN     "seq" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "Step" ADD COLUMN     "leaseUntil" TIMESTAMP(3),
ADD COLUMN     "next" TEXT[] DEFAULT ARRAY[]::TEXT[];
