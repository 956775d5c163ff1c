-- CreateEnum
CREATE TYPE "PredictionRole" AS ENUM ('production', 'challenger', 'canary');

-- AlterEnum
ALTER TYPE "ModelStage" ADD VALUE 'challenger';

-- DropIndex
DROP INDEX "prediction_history_source_idempotency_key_key";

-- AlterTable
ALTER TABLE "prediction_history" ADD COLUMN     "role" "PredictionRole" NOT NULL DEFAULT 'production';

-- CreateIndex
-- Hand-edited: NULLS NOT DISTINCT (Postgres 15+) so a row without a model version (an input
-- rejected before any model saw it) is still written once per input, as before. Prisma's schema
-- cannot say it, and its introspection does not report it, so the schema-agreement test stays clean.
CREATE UNIQUE INDEX "prediction_history_source_idempotency_key_model_version_key" ON "prediction_history"("source", "idempotency_key", "model_version") NULLS NOT DISTINCT;

-- Hand-written: the read view keeps its promise of one row per input. Challenger rows (a second
-- opinion on the same input) are left out, the row that answered (production or canary) stays.
-- Same columns, same order: CREATE OR REPLACE keeps the grants and the comments.
CREATE OR REPLACE VIEW "tripcast_api"."prediction_history" AS
SELECT
  h.id                  AS id,
  h.source::text        AS source,
  h.status::text        AS status,
  h.ride_id             AS ride_id,
  h.pu_location_id      AS pu_location_id,
  h.do_location_id      AS do_location_id,
  h.trip_distance       AS trip_distance,
  h.predicted_duration  AS predicted_duration,
  h.model_name          AS model_name,
  h.model_version       AS model_version,
  h.reason              AS reason,
  h.created_at          AS created_at
FROM public.prediction_history AS h
WHERE h.role <> 'challenger';
