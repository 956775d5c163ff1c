-- CreateEnum
CREATE TYPE "DriftSource" AS ENUM ('batch', 'online', 'stream');

-- CreateEnum
CREATE TYPE "DriftStatus" AS ENUM ('ok', 'watch', 'alert', 'insufficient');

-- CreateTable
CREATE TABLE "model_drift" (
    "id" BIGSERIAL NOT NULL,
    "source" "DriftSource" NOT NULL,
    "scope" TEXT NOT NULL,
    "model_name" TEXT NOT NULL,
    "model_version" TEXT NOT NULL,
    "role" TEXT NOT NULL DEFAULT 'production',
    "period_start" TIMESTAMPTZ(3) NOT NULL,
    "rows" INTEGER NOT NULL,
    "max_psi" DOUBLE PRECISION NOT NULL,
    "unseen_pair_share" DOUBLE PRECISION,
    "status" "DriftStatus" NOT NULL,
    "report" JSONB NOT NULL,
    "current" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "model_drift_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "model_profiles" (
    "model_name" TEXT NOT NULL,
    "model_version" TEXT NOT NULL,
    "profile" JSONB,
    "reason" TEXT,
    "computed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "model_profiles_pkey" PRIMARY KEY ("model_name","model_version")
);

-- CreateTable
CREATE TABLE "alerts" (
    "id" BIGSERIAL NOT NULL,
    "kind" TEXT NOT NULL,
    "severity" "DriftStatus" NOT NULL,
    "source" "DriftSource" NOT NULL,
    "scope" TEXT NOT NULL,
    "model_name" TEXT NOT NULL,
    "model_version" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "details" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "acknowledged_at" TIMESTAMPTZ(3),
    "acknowledged_by" TEXT,

    CONSTRAINT "alerts_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "model_drift_model_name_period_start_idx" ON "model_drift"("model_name", "period_start");

-- CreateIndex
CREATE UNIQUE INDEX "model_drift_source_scope_model_name_model_version_key" ON "model_drift"("source", "scope", "model_name", "model_version");

-- CreateIndex
CREATE INDEX "alerts_acknowledged_at_created_at_idx" ON "alerts"("acknowledged_at", "created_at" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "alerts_kind_source_scope_model_name_model_version_key" ON "alerts"("kind", "source", "scope", "model_name", "model_version");
