-- CreateEnum
CREATE TYPE "PromotionKind" AS ENUM ('promote', 'rollback');

-- AlterTable
ALTER TABLE "model_versions" ADD COLUMN     "promoted_via" "PromotionKind";

-- Versions promoted before this column existed went to production by a promotion.
UPDATE "model_versions" SET "promoted_via" = 'promote' WHERE "promoted_at" IS NOT NULL;
