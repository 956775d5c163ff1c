-- CreateEnum
CREATE TYPE "ApiKeyScope" AS ENUM ('predict', 'read');

-- AlterTable
ALTER TABLE "api_keys" ADD COLUMN     "scopes" "ApiKeyScope"[] DEFAULT ARRAY['predict']::"ApiKeyScope"[];

-- CreateIndex
CREATE INDEX "prediction_history_ride_id_idx" ON "prediction_history"("ride_id");
