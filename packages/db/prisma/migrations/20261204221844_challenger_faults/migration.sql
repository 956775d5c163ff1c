-- CreateTable
CREATE TABLE "challenger_faults" (
    "source" "PredictionSource" NOT NULL,
    "instance" TEXT NOT NULL,
    "model_version" TEXT NOT NULL,
    "error" TEXT NOT NULL,
    "seen_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "challenger_faults_pkey" PRIMARY KEY ("source","instance","model_version")
);

-- CreateIndex
CREATE INDEX "challenger_faults_seen_at_idx" ON "challenger_faults"("seen_at");
