// Batch predictions of one run, as the console pages through them.
import type { Prisma, TDb } from '../client';
import type { TPage } from './runs';

export const BATCH_PREDICTION_SELECT = {
  rowIndex: true,
  rideId: true,
  pickupDatetime: true,
  puLocationId: true,
  doLocationId: true,
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
