// The run page's reading of a run's summary (the run itself comes from @tripcast/db/queries/runs).
import { listRunModelMetrics } from '@tripcast/db/queries/run-metrics';
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

/** A challenger's agreement with production (@tripcast/model/quality TAgreement), read leniently. */
const ZAgreement = z.object({
  rows: z.number(),
  meanAbsDifference: z.number(),
  p95AbsDifference: z.number(),
  shareOver5Minutes: z.number(),
  meanDifference: z.number(),
  histogram: z.object({ binMinutes: z.number(), from: z.number(), counts: z.array(z.number()) }),
});

/** Every model that scored the run (production first) with its figures, for the run page. */
export async function listRunModels(db: TDb, runKey: number) {
  const rows = await listRunModelMetrics(db, runKey);
  return rows.map((row) => {
    const agreement = row.agreement == null ? null : ZAgreement.safeParse(row.agreement);
    return { ...row, agreement: agreement?.success ? agreement.data : null };
  });
}
