-- AlterTable
ALTER TABLE "batch_predictions" ADD COLUMN     "anomaly" TEXT,
ADD COLUMN     "trip_distance" REAL;
