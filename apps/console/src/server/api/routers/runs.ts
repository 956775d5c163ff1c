import { z } from 'zod';
import { ZTaxiType } from '@tripcast/model';
import {
  BackfillRefusedError,
  launchBackfill,
  launchRun,
  listScorableMonths,
  MonthNotInStoreError,
  type TLaunchOptions,
  type TLaunchRequest,
} from '@tripcast/scorer/launcher';
import { listRunPredictions, samplePredictedVsActual } from '@tripcast/db/queries/predictions';
import { getBatchRun, listBatchRuns } from '@tripcast/db/queries/runs';
import { getBatchRunWithSummary, listRunModels } from '../../queries/runs';
import { showNullableUri, showText, showUri, type TPathAudience } from '../../server-paths';
import { badRequest, analystProcedure, viewerProcedure, createTRPCRouter, notFound } from '../trpc';

const ZMonthInput = z.object({
  year: z.number().int().min(2009).max(2100).describe('Year of the trips'),
  month: z.number().int().min(1).max(12).describe('Month of the trips, 1..12'),
});

const ZValidation = z
  .enum(['course', 'strict'])
  .default('course')
  .describe(
    "course: score every trip of 1..60 min like the course's score.py, flagging anomalies; strict: also reject zero/over-500-mile distances and pickups outside the month",
  );

/**
 * Launch one run; a month the store does not have is a 400 naming it (nothing is created). Shared
 * by trigger, retry and backfill so each refuses an absent month the same way.
 */
async function launchOrRefuse(ctx: TPathAudience, request: TLaunchRequest, audit: TLaunchOptions['audit']) {
  try {
    return await launchRun(request, { audit });
  } catch (error) {
    if (error instanceof MonthNotInStoreError) badRequest(showText(error.message, ctx));
    throw error;
  }
}

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
      return {
        ...page,
        items: page.items.map((run) => ({ ...run, error: showText(run.error, ctx) })),
      };
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
    const models = run.status === 'succeeded' ? await listRunModels(ctx.db, run.key) : [];
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
      models: models.map((m) => ({
        ...m,
        outputUri: showNullableUri(m.outputUri, ctx),
        error: m.error === null ? null : showText(m.error, ctx),
      })),
    };
  }),

  predictions: viewerProcedure
    .input(
      z.object({
        runId: z.string().min(1),
        zoneId: z.number().int().min(1).max(265).nullish().describe('Pickup or dropoff zone'),
        /** row_index of the last row of the previous page (keyset paging: every page costs the same). */
        after: z.number().int().min(0).nullish(),
        limit: z.number().int().min(1).max(200).default(25),
      }),
    )
    .query(async ({ ctx, input }) => {
      const run = await getBatchRun(ctx.db, input.runId);
      if (!run) notFound(`No batch run ${input.runId}`);
      return listRunPredictions(ctx.db, {
        runKey: run.key,
        limit: input.limit,
        afterRowIndex: input.after ?? null,
        ...(input.zoneId == null ? {} : { zoneId: input.zoneId }),
      });
    }),

  /** The months the store's trip-data holds (what the trigger form offers), and where to add one. */
  months: analystProcedure.query(async ({ ctx }) => {
    const { months, tripDataUri } = await listScorableMonths();
    return {
      months: months.map(({ taxiType, year, month }) => ({ taxiType, year, month })),
      tripData: showUri(tripDataUri, ctx),
    };
  }),

  trigger: analystProcedure
    .input(ZMonthInput.extend({ taxiType: ZTaxiType, validation: ZValidation }))
    .mutation(async ({ ctx, input }) => {
      const request = { ...input, trigger: 'manual', requestedBy: ctx.actor } as const;
      const run = await launchOrRefuse(ctx, request, { action: 'run.trigger', details: input });
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
      const request = { ...month, trigger: 'manual', requestedBy: ctx.actor } as const;
      const run = await launchOrRefuse(ctx, request, { action: 'run.retry', details: { ...month, retryOf: failed.id } });
      return { runId: run.runId };
    }),

  /** One run per month of the range, oldest first; the launcher refuses a range or a missing month before creating any. */
  backfill: analystProcedure
    .input(z.object({ taxiType: ZTaxiType, from: ZMonthInput, to: ZMonthInput }))
    .mutation(async ({ ctx, input }) => {
      try {
        return await launchBackfill({ ...input, requestedBy: ctx.actor });
      } catch (error) {
        if (error instanceof BackfillRefusedError) badRequest(showText(error.message, ctx));
        throw error;
      }
    }),
});
