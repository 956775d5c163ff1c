-- CreateTable
CREATE TABLE "batch_challenger_predictions" (
    "run_key" INTEGER NOT NULL,
    "model_version" TEXT NOT NULL,
    "row_index" INTEGER NOT NULL,
    "predicted_duration" REAL NOT NULL,

    CONSTRAINT "batch_challenger_predictions_pkey" PRIMARY KEY ("run_key","model_version","row_index")
-- Hand-written: one partition per run, swapped in atomically by the COPY writer
-- (packages/db/src/batch-predictions.ts), as batch_predictions is. Prisma does not model partitioning.
) PARTITION BY LIST ("run_key");

-- CreateTable
CREATE TABLE "batch_run_model_metrics" (
    "run_key" INTEGER NOT NULL,
    "model_name" TEXT NOT NULL,
    "model_version" TEXT NOT NULL,
    "role" "PredictionRole" NOT NULL,
    "error" TEXT,
    "rows_scored" INTEGER NOT NULL,
    "rows_with_actual" INTEGER NOT NULL,
    "rmse" DOUBLE PRECISION,
    "mae" DOUBLE PRECISION,
    "bias" DOUBLE PRECISION,
    "share_off_10_min" DOUBLE PRECISION,
    "agreement" JSONB,
    "output_uri" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "batch_run_model_metrics_pkey" PRIMARY KEY ("run_key","model_version")
);

-- CreateIndex
CREATE INDEX "batch_run_model_metrics_model_name_model_version_idx" ON "batch_run_model_metrics"("model_name", "model_version");

-- AddForeignKey
ALTER TABLE "batch_run_model_metrics" ADD CONSTRAINT "batch_run_model_metrics_run_key_fkey" FOREIGN KEY ("run_key") REFERENCES "batch_runs"("key") ON DELETE CASCADE ON UPDATE CASCADE;
