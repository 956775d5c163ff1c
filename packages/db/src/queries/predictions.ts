// Batch predictions (batch_predictions, one partition per run): paged for the console and the
// read API, sampled for the run page's chart, looked up by ride id.
import type { Prisma, TDb } from '../client';
import type { TPage } from './runs';

const BATCH_PREDICTION_SELECT = {
  rowIndex: true,
  rideId: true,
  pickupDatetime: true,
  puLocationId: true,
  doLocationId: true,
  tripDistance: true,
  actualDuration: true,
  predictedDuration: true,
} as const satisfies Prisma.BatchPredictionSelect;

export type TBatchPredictionRow = Prisma.BatchPredictionGetPayload<{
  select: typeof BATCH_PREDICTION_SELECT;
}>;

export type TListRunPredictionsOptions = {
  runKey: number;
  limit: number;
  /** `rowIndex` of the last row of the previous page. */
  afterRowIndex?: number | null;
  /** Trips that start or end in this TLC zone. */
  zoneId?: number;
};

/**
 * In input order, keyset-paged on the primary key (run_key, row_index): every page costs the
 * same, however deep. A zone filter walks the same index and skips non-matching rows.
 */
export async function listRunPredictions(
  db: TDb,
  { runKey, limit, afterRowIndex, zoneId }: TListRunPredictionsOptions,
): Promise<TPage<TBatchPredictionRow, number>> {
  const rows = await db.batchPrediction.findMany({
    select: BATCH_PREDICTION_SELECT,
    where: {
      runKey,
      ...(afterRowIndex == null ? {} : { rowIndex: { gt: afterRowIndex } }),
      ...(zoneId == null ? {} : { OR: [{ puLocationId: zoneId }, { doLocationId: zoneId }] }),
    },
    orderBy: { rowIndex: 'asc' },
    take: limit + 1,
  });
  const hasMore = rows.length > limit;
  const items = hasMore ? rows.slice(0, limit) : rows;
  return { items, nextCursor: hasMore ? (items.at(-1)?.rowIndex ?? null) : null };
}

export type TBatchPredictionOfRide = TBatchPredictionRow & {
  run: {
    id: string;
    taxiType: string;
    year: number;
    month: number;
    modelName: string | null;
    modelVersion: string | null;
    finishedAt: Date | null;
  };
};

/** The course's batch ride id, `YYYY/MM_<row index>` (apps/scorer rideIdPrefix). */
const BATCH_RIDE_ID = /^(\d{4})\/(\d{2})_(\d{1,9})$/;

/**
 * A batch ride id names its month and its row, so the lookup is: the succeeded runs of that
 * month (index on taxi type, year, month), then one primary-key read per run partition. Ids of
 * another form cannot be batch rides: no query at all. Newest run first.
 */
export async function findBatchPredictionsByRideId(
  db: TDb,
  { rideId, limit }: { rideId: string; limit: number },
): Promise<TBatchPredictionOfRide[]> {
  const match = BATCH_RIDE_ID.exec(rideId);
  if (!match) return [];
  const [year, month, rowIndex] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (month < 1 || month > 12 || rowIndex > 2_147_483_647) return [];
  const runs = await db.batchRun.findMany({
    select: {
      key: true,
      id: true,
      taxiType: true,
      year: true,
      month: true,
      modelName: true,
      modelVersion: true,
      finishedAt: true,
    },
    where: { year, month, status: 'succeeded' },
    orderBy: [{ finishedAt: 'desc' }, { key: 'desc' }],
    take: limit,
  });
  if (runs.length === 0) return [];
  const rows = await db.batchPrediction.findMany({
    select: { ...BATCH_PREDICTION_SELECT, runKey: true },
    where: { runKey: { in: runs.map((run) => run.key) }, rowIndex, rideId },
  });
  const byKey = new Map(rows.map(({ runKey, ...row }) => [runKey, row]));
  return runs.flatMap(({ key, ...run }) => {
    const row = byKey.get(key);
    return row ? [{ ...row, run }] : [];
  });
}

export type TPredictedVsActualPoint = { actual: number; predicted: number };

/**
 * An evenly spread sample of (actual, predicted) pairs for the run page's scatter chart: every k-th
 * row by row_index, so the sample is deterministic and reads a bounded number of rows via the
 * primary key.
 */
export async function samplePredictedVsActual(
  db: TDb,
  opts: { runKey: number; rowCount: number; points: number },
): Promise<TPredictedVsActualPoint[]> {
  const step = Math.max(1, Math.floor(opts.rowCount / opts.points));
  return db.$queryRawUnsafe<TPredictedVsActualPoint[]>(
    `SELECT actual_duration AS actual, predicted_duration AS predicted
       FROM batch_predictions
      WHERE run_key = $1 AND row_index % $2 = 0 AND actual_duration IS NOT NULL
      ORDER BY row_index
      LIMIT $3`,
    opts.runKey,
    step,
    opts.points,
  );
}
