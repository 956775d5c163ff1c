-- CreateTable
CREATE TABLE "training_jobs" (
    "id" TEXT NOT NULL,
    "model_name" TEXT NOT NULL,
    "recipe" TEXT NOT NULL,
    "params" JSONB NOT NULL DEFAULT '{}',
    "train_months" TEXT[],
    "train_uris" TEXT[],
    "validation_month" TEXT,
    "validation_uri" TEXT,
    "status" "RunStatus" NOT NULL DEFAULT 'queued',
    "phase" TEXT,
    "progress" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "rows_read" INTEGER NOT NULL DEFAULT 0,
    "log_tail" TEXT NOT NULL DEFAULT '',
    "launched_as" TEXT,
    "model_version" TEXT,
    "card" JSONB,
    "error" TEXT,
    "requested_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),
    "heartbeat_at" TIMESTAMPTZ(3),

    CONSTRAINT "training_jobs_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "training_jobs_created_at_idx" ON "training_jobs"("created_at" DESC);

-- CreateIndex
CREATE INDEX "training_jobs_status_heartbeat_at_idx" ON "training_jobs"("status", "heartbeat_at");
