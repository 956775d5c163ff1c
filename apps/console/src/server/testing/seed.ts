// Rows the way the scorer and the online/stream paths write them, for router tests.
import type { TDb } from '@tripcast/db/client';

export async function seedBatchRun(
  db: TDb,
  run: {
    id: string;
    year: number;
    month: number;
    status: 'queued' | 'running' | 'succeeded' | 'failed';
    modelVersion?: string;
    finishedAt?: Date;
    createdAt?: Date;
  },
  predictions: {
    pu: number;
    do: number;
    actual: number | null;
    predicted: number;
    distance?: number | null;
  }[] = [],
) {
  const created = await db.batchRun.create({
    data: {
      id: run.id,
      taxiType: 'green',
      year: run.year,
      month: run.month,
      inputUri: `/store/trip-data/green_tripdata_${run.year}-${String(run.month).padStart(2, '0')}.parquet`,
      outputUri: `/store/predictions/taxi_type=green/year=${run.year}/month=${String(run.month).padStart(2, '0')}/${run.id}.parquet`,
      modelName: 'ride_duration_prediction_model',
      modelVersion: run.modelVersion ?? 'v1',
      trigger: 'manual',
      status: run.status,
      progress: run.status === 'succeeded' ? 1 : 0.4,
      rowsRead: predictions.length + 1,
      rowsScored: predictions.length,
      rowsRejected: 1,
      createdAt: run.createdAt ?? new Date(),
      finishedAt: run.finishedAt ?? (run.status === 'succeeded' ? new Date() : null),
      summary:
        run.status === 'succeeded'
          ? {
              predicted: { count: predictions.length, mean: 12, min: 1, max: 40, p50: 11, p95: 30 },
              histogram: [
                { from: 0, to: 5, count: 1 },
                { from: 5, to: 10, count: predictions.length - 1 },
              ],
              error: { count: predictions.length, rmse: 7.5, mae: 5.1 },
              errorCourseRange: { count: predictions.length, rmse: 6.9, mae: 4.8 },
              rejectsByReason: { invalid_duration: 1 },
            }
          : undefined,
    },
    select: { key: true },
  });
  if (predictions.length > 0) {
    // batch_predictions is LIST-partitioned by run_key (one partition per run), as the COPY writer does it.
    await db.$executeRawUnsafe(
      `CREATE TABLE batch_predictions_test_${created.key} PARTITION OF batch_predictions FOR VALUES IN (${created.key})`,
    );
    await db.batchPrediction.createMany({
      data: predictions.map((p, i) => ({
        runKey: created.key,
        rowIndex: i,
        rideId: `${run.year}/${String(run.month).padStart(2, '0')}_${i}`,
        pickupDatetime: new Date(Date.UTC(run.year, run.month - 1, 1, 0, i)),
        puLocationId: p.pu,
        doLocationId: p.do,
        actualDuration: p.actual,
        predictedDuration: p.predicted,
        tripDistance: p.distance ?? null,
      })),
    });
  }
  return created.key;
}

export async function seedHistory(
  db: TDb,
  rows: {
    source: 'online' | 'stream';
    pu: number;
    do: number;
    predicted: number;
    version: string;
    latencyMs?: number;
    createdAt?: Date;
    status?: 'scored' | 'rejected';
  }[],
) {
  await db.predictionHistory.createMany({
    data: rows.map((r, i) => ({
      source: r.source,
      status: r.status ?? 'scored',
      idempotencyKey: `${r.source}-${i}-${Math.random()}`,
      rideId: `ride-${i}`,
      puLocationId: r.pu,
      doLocationId: r.do,
      tripDistance: 2.5,
      predictedDuration: r.predicted,
      modelName: 'ride_duration_prediction_model',
      modelVersion: r.version,
      latencyMs: r.latencyMs ?? 1.2,
      createdAt: r.createdAt ?? new Date(),
    })),
  });
}
