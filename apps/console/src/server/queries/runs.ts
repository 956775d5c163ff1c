// Batch-run reads only the console makes (run lists and details come from @tripcast/db/queries/runs).
import { getBatchRun } from '@tripcast/db/queries/runs';
import { z } from 'zod';
import type { TDb } from '../db';

/** The scorer's run summary (apps/scorer/src/stats.ts), read leniently: older runs may lack fields. */
const ZErrorSummary = z.object({
  count: z.number(),
  rmse: z.number().nullable(),
  mae: z.number().nullable(),
});
export const ZRunSummary = z.object({
  predicted: z
    .object({
      count: z.number(),
      mean: z.number().nullable(),
      min: z.number().nullable().optional(),
      max: z.number().nullable().optional(),
      p50: z.number().nullable(),
      p95: z.number().nullable(),
    })
    .optional(),
  histogram: z
    .array(z.object({ from: z.number(), to: z.number().nullable(), count: z.number() }))
    .default([]),
  error: ZErrorSummary.optional(),
  errorCourseRange: ZErrorSummary.optional(),
  rejectsByReason: z.record(z.string(), z.number()).default({}),
});
export type TRunSummary = z.infer<typeof ZRunSummary>;

/** A run's detail (`@tripcast/db`'s explicit select) with its summary parsed for the charts. */
export async function getBatchRunWithSummary(db: TDb, id: string) {
  const run = await getBatchRun(db, id);
  if (!run) return null;
  const summary = run.summary == null ? null : ZRunSummary.safeParse(run.summary);
  return { ...run, summary: summary?.success ? summary.data : null };
}

export type TPredictedVsActualPoint = { actual: number; predicted: number };

/**
 * An evenly spread sample of (actual, predicted) pairs for the scatter chart: every k-th row by
 * row_index, so the sample is deterministic and reads a bounded number of rows via the primary key.
 */
export async function samplePredictedVsActual(
  db: TDb,
  opts: { runKey: number; rowCount: number; points: number },
) {
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

export const RUN_PREDICTION_SELECT = {
  rowIndex: true,
  rideId: true,
  pickupDatetime: true,
  puLocationId: true,
  doLocationId: true,
  actualDuration: true,
  predictedDuration: true,
} as const;

/** One page of a run's predictions, optionally only trips starting or ending in a zone. */
export async function listRunPredictions(
  db: TDb,
  opts: { runKey: number; zoneId?: number | null; page: number; pageSize: number },
) {
  const where = {
    runKey: opts.runKey,
    ...(opts.zoneId ? { OR: [{ puLocationId: opts.zoneId }, { doLocationId: opts.zoneId }] } : {}),
  };
  const rows = await db.batchPrediction.findMany({
    select: RUN_PREDICTION_SELECT,
    where,
    orderBy: { rowIndex: 'asc' },
    skip: (opts.page - 1) * opts.pageSize,
    take: opts.pageSize + 1,
  });
  const hasMore = rows.length > opts.pageSize;
  return { items: hasMore ? rows.slice(0, opts.pageSize) : rows, hasMore };
}
