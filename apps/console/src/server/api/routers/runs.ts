import { recordAudit } from '@tripcast/db/queries/audit';
import { z } from 'zod';
import { ZTaxiType } from '@tripcast/model';
import { launchRun } from '@tripcast/scorer/launcher';
import { getBatchRun, listBatchRuns } from '@tripcast/db/queries/runs';
import {
  getBatchRunWithSummary,
  listRunPredictions,
  samplePredictedVsActual,
} from '../../queries/runs';
import { showNullableUri, showText, showUri } from '../../server-paths';
import { badRequest, analystProcedure, viewerProcedure, createTRPCRouter, notFound } from '../trpc';

const ZMonthInput = z.object({
  year: z.number().int().min(2009).max(2100).describe('Year of the trips'),
  month: z.number().int().min(1).max(12).describe('Month of the trips, 1..12'),
});

const monthIndex = (m: z.infer<typeof ZMonthInput>) => m.year * 12 + (m.month - 1);
// Each month starts its own scorer process: keep a backfill from swamping a small machine.
const MAX_BACKFILL_MONTHS = 12;

export const runsRouter = createTRPCRouter({
  list: viewerProcedure
    .input(
      z
        .object({
          limit: z.number().int().min(1).max(100).default(20),
          cursor: z.string().nullish(),
        })
        .default({ limit: 20 }),
    )
    .query(async ({ ctx, input }) => {
      const page = await listBatchRuns(ctx.db, input);
      return { ...page, items: page.items.map((run) => ({ ...run, error: showText(run.error, ctx) })) };
    }),

  get: viewerProcedure.input(z.object({ id: z.string().min(1) })).query(async ({ ctx, input }) => {
    const run = await getBatchRunWithSummary(ctx.db, input.id);
    if (!run) notFound(`No batch run ${input.id}`);
    const scatter =
      run.status === 'succeeded' && run.rowsScored > 0
        ? await samplePredictedVsActual(ctx.db, {
            runKey: run.key,
            rowCount: run.rowsRead,
            points: 1500,
          })
        : [];
    // Input/output locations and errors name server paths: store-relative below admin.
    return {
      run: {
        ...run,
        inputUri: showUri(run.inputUri, ctx),
        outputUri: showNullableUri(run.outputUri, ctx),
        rejectsUri: showNullableUri(run.rejectsUri, ctx),
        error: showText(run.error, ctx),
      },
      scatter,
    };
  }),

  predictions: viewerProcedure
    .input(
      z.object({
        runId: z.string().min(1),
        zoneId: z.number().int().min(1).max(265).nullish().describe('Pickup or dropoff zone'),
        page: z.number().int().min(1).default(1),
        pageSize: z.number().int().min(1).max(200).default(25),
      }),
    )
    .query(async ({ ctx, input }) => {
      const run = await ctx.db.batchRun.findUnique({
        where: { id: input.runId },
        select: { key: true },
      });
      if (!run) notFound(`No batch run ${input.runId}`);
      return listRunPredictions(ctx.db, {
        runKey: run.key,
        zoneId: input.zoneId,
        page: input.page,
        pageSize: input.pageSize,
      });
    }),

  trigger: analystProcedure
    .input(ZMonthInput.extend({ taxiType: ZTaxiType }))
    .mutation(async ({ ctx, input }) => {
      const run = await launchRun({ ...input, trigger: 'manual', requestedBy: ctx.actor });
      await recordAudit(ctx.db, {
        actor: ctx.actor,
        action: 'run.trigger',
        targetType: 'batch_run',
        targetId: run.runId,
        details: input,
      });
      return { runId: run.runId };
    }),

  /** Launch a failed run's month again, as a new run (the failed one stays, with its error). */
  retry: analystProcedure
    .input(z.object({ id: z.string().min(1).max(200) }))
    .mutation(async ({ ctx, input }) => {
      const failed = await getBatchRun(ctx.db, input.id);
      if (!failed) notFound(`No batch run ${input.id}`);
      if (failed.status !== 'failed')
        badRequest(`Run ${input.id} is ${failed.status}: only a failed run can be retried`);
      const month = { taxiType: failed.taxiType, year: failed.year, month: failed.month };
      const run = await launchRun({ ...month, trigger: 'manual', requestedBy: ctx.actor });
      await recordAudit(ctx.db, {
        actor: ctx.actor,
        action: 'run.retry',
        targetType: 'batch_run',
        targetId: run.runId,
        details: { ...month, retryOf: failed.id },
      });
      return { runId: run.runId };
    }),

  backfill: analystProcedure
    .input(z.object({ taxiType: ZTaxiType, from: ZMonthInput, to: ZMonthInput }))
    .mutation(async ({ ctx, input }) => {
      const months = monthIndex(input.to) - monthIndex(input.from) + 1;
      if (months < 1) badRequest('to must be the same month as from or later');
      if (months > MAX_BACKFILL_MONTHS)
        badRequest(`a backfill covers at most ${MAX_BACKFILL_MONTHS} months`);
      // One queued run per month, oldest first. The launcher has no backfill entry yet (the scorer
      // CLI's `backfill` runs months one after another); until it does, each month is its own run.
      const runIds: string[] = [];
      for (let i = 0; i < months; i++) {
        const index = monthIndex(input.from) + i;
        const run = await launchRun({
          taxiType: input.taxiType,
          year: Math.floor(index / 12),
          month: (index % 12) + 1,
          trigger: 'backfill',
          requestedBy: ctx.actor,
        });
        runIds.push(run.runId);
      }
      await recordAudit(ctx.db, {
        actor: ctx.actor,
        action: 'run.backfill',
        targetType: 'batch_run',
        targetId: runIds.join(','),
        details: { taxiType: input.taxiType, from: input.from, to: input.to, runIds },
      });
      return { runIds };
    }),
});
