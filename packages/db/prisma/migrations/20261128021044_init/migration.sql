-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "TaxiType" AS ENUM ('yellow', 'green', 'fhv');

-- CreateEnum
CREATE TYPE "ModelStage" AS ENUM ('candidate', 'production', 'archived');

-- CreateEnum
CREATE TYPE "RunTrigger" AS ENUM ('manual', 'schedule', 'backfill', 'cli');

-- CreateEnum
CREATE TYPE "RunStatus" AS ENUM ('queued', 'running', 'succeeded', 'failed');

-- CreateEnum
CREATE TYPE "PredictionSource" AS ENUM ('online', 'stream');

-- CreateEnum
CREATE TYPE "PredictionStatus" AS ENUM ('scored', 'rejected');

-- CreateTable
CREATE TABLE "model_versions" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "version" TEXT NOT NULL,
    "artifact_uri" TEXT NOT NULL,
    "sha256" CHAR(64) NOT NULL,
    "card" JSONB NOT NULL,
    "stage" "ModelStage" NOT NULL DEFAULT 'candidate',
    "production_of" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created_by" TEXT,
    "promoted_at" TIMESTAMPTZ(3),
    "promoted_by" TEXT,

    CONSTRAINT "model_versions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "batch_runs" (
    "id" TEXT NOT NULL,
    "key" SERIAL NOT NULL,
    "taxi_type" "TaxiType" NOT NULL,
    "year" INTEGER NOT NULL,
    "month" INTEGER NOT NULL,
    "input_uri" TEXT NOT NULL,
    "output_uri" TEXT,
    "rejects_uri" TEXT,
    "model_name" TEXT,
    "model_version" TEXT,
    "trigger" "RunTrigger" NOT NULL,
    "status" "RunStatus" NOT NULL DEFAULT 'queued',
    "progress" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "rows_read" INTEGER NOT NULL DEFAULT 0,
    "rows_scored" INTEGER NOT NULL DEFAULT 0,
    "rows_rejected" INTEGER NOT NULL DEFAULT 0,
    "summary" JSONB,
    "error" TEXT,
    "requested_by" TEXT,
    "backfill_id" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),
    "heartbeat_at" TIMESTAMPTZ(3),

    CONSTRAINT "batch_runs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "batch_predictions" (
    "run_key" INTEGER NOT NULL,
    "row_index" INTEGER NOT NULL,
    "ride_id" TEXT NOT NULL,
    "pickup_datetime" TIMESTAMP(6) NOT NULL,
    "pu_location_id" SMALLINT NOT NULL,
    "do_location_id" SMALLINT NOT NULL,
    "actual_duration" REAL,
    "predicted_duration" REAL NOT NULL,

    CONSTRAINT "batch_predictions_pkey" PRIMARY KEY ("run_key","row_index")
-- Hand-written: one partition per run, swapped in atomically by the COPY writer
-- (packages/db/src/batch-predictions.ts). Prisma does not model partitioning.
) PARTITION BY LIST ("run_key");

-- CreateTable
CREATE TABLE "prediction_history" (
    "id" BIGSERIAL NOT NULL,
    "source" "PredictionSource" NOT NULL,
    "status" "PredictionStatus" NOT NULL DEFAULT 'scored',
    "idempotency_key" TEXT NOT NULL,
    "ride_id" TEXT,
    "pu_location_id" SMALLINT,
    "do_location_id" SMALLINT,
    "trip_distance" REAL,
    "predicted_duration" REAL,
    "model_name" TEXT,
    "model_version" TEXT,
    "latency_ms" REAL,
    "reason" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "prediction_history_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "stream_checkpoints" (
    "stream_name" TEXT NOT NULL,
    "shard_id" TEXT NOT NULL,
    "sequence_number" TEXT,
    "is_shard_ended" BOOLEAN NOT NULL DEFAULT false,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "stream_checkpoints_pkey" PRIMARY KEY ("stream_name","shard_id")
);

-- CreateTable
CREATE TABLE "shard_leases" (
    "stream_name" TEXT NOT NULL,
    "shard_id" TEXT NOT NULL,
    "owner" TEXT,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "lease_counter" INTEGER NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "shard_leases_pkey" PRIMARY KEY ("stream_name","shard_id")
);

-- CreateTable
CREATE TABLE "dead_letters" (
    "id" BIGSERIAL NOT NULL,
    "source" TEXT NOT NULL,
    "stream_name" TEXT,
    "shard_id" TEXT,
    "sequence_number" TEXT,
    "payload" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "dead_letters_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "audit_log" (
    "id" BIGSERIAL NOT NULL,
    "actor" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "target_type" TEXT NOT NULL,
    "target_id" TEXT,
    "details" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "audit_log_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "model_versions_production_of_key" ON "model_versions"("production_of");

-- CreateIndex
CREATE INDEX "model_versions_name_created_at_idx" ON "model_versions"("name", "created_at" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "model_versions_name_version_key" ON "model_versions"("name", "version");

-- CreateIndex
CREATE UNIQUE INDEX "batch_runs_key_key" ON "batch_runs"("key");

-- CreateIndex
CREATE INDEX "batch_runs_created_at_idx" ON "batch_runs"("created_at" DESC);

-- CreateIndex
CREATE INDEX "batch_runs_status_heartbeat_at_idx" ON "batch_runs"("status", "heartbeat_at");

-- CreateIndex
CREATE INDEX "batch_runs_taxi_type_year_month_idx" ON "batch_runs"("taxi_type", "year", "month");

-- CreateIndex
CREATE INDEX "prediction_history_created_at_idx" ON "prediction_history"("created_at" DESC);

-- CreateIndex
CREATE INDEX "prediction_history_source_created_at_idx" ON "prediction_history"("source", "created_at" DESC);

-- CreateIndex
CREATE INDEX "prediction_history_model_version_created_at_idx" ON "prediction_history"("model_version", "created_at" DESC);

-- CreateIndex
CREATE INDEX "prediction_history_pu_location_id_idx" ON "prediction_history"("pu_location_id");

-- CreateIndex
CREATE INDEX "prediction_history_do_location_id_idx" ON "prediction_history"("do_location_id");

-- CreateIndex
CREATE UNIQUE INDEX "prediction_history_source_idempotency_key_key" ON "prediction_history"("source", "idempotency_key");

-- CreateIndex
CREATE INDEX "shard_leases_owner_idx" ON "shard_leases"("owner");

-- CreateIndex
CREATE INDEX "dead_letters_created_at_idx" ON "dead_letters"("created_at" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "dead_letters_source_stream_name_shard_id_sequence_number_key" ON "dead_letters"("source", "stream_name", "shard_id", "sequence_number");

-- CreateIndex
CREATE INDEX "audit_log_created_at_idx" ON "audit_log"("created_at" DESC);

-- CreateIndex
CREATE INDEX "audit_log_target_type_target_id_idx" ON "audit_log"("target_type", "target_id");
