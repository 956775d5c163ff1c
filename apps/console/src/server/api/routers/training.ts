import { z } from 'zod';
import {
  getTrainingJob,
  listTrainingJobs,
  type TTrainingJobDetail,
} from '@tripcast/db/queries/training-jobs';
import { DEFAULT_ADDITIVE_PARAMS, TRAINING_SOLVERS } from '@tripcast/model/training';
import {
  launchTrainingJob,
  MAX_STORE_MONTH_BYTES,
  MAX_TRAINING_MONTHS,
  reapDeadTrainingJobs,
  StoreMonthRefusedError,
  uploadStoreMonth,
  ZTrainingChoice,
} from '@tripcast/scorer/train-launcher';
import { MonthNotInStoreError } from '@tripcast/scorer/launcher';
import { showModelVersion, showText, showUri, type TPathAudience } from '../../server-paths';
import { analystProcedure, badRequest, createTRPCRouter, notFound, type TContext } from '../trpc';

function poolOf(ctx: TContext) {
  if (!ctx.getPool) throw new Error('training: this context has no database pool (getPool)');
  return ctx.getPool();
}

/**
 * Jobs whose process went silent are failed before they are shown, so a page never shows a dead
 * job as running forever (one conditional UPDATE; the scorer's schedule does the same for runs).
 */
async function reap(ctx: TContext): Promise<void> {
  try {
    await reapDeadTrainingJobs(poolOf(ctx));
  } catch (error) {
    console.warn('training: reaping dead jobs failed:', error);
  }
}

/** The job's card shows like a registered version's: training sources store-relative below admin. */
function showCard<T extends { card: TTrainingJobDetail['card'] }>(job: T, audience: TPathAudience) {
  return job.card === null
    ? null
    : showModelVersion({ artifactUri: '', card: job.card }, audience).card;
}

const ZMonthUploadForm = z.instanceof(FormData).transform(async (form, zctx) => {
  const file = form.get('month');
  if (!(file instanceof File) || file.size === 0) {
    zctx.addIssue({ code: 'custom', path: ['month'], message: 'Choose a TLC month file' });
    return z.NEVER;
  }
  if (file.size > MAX_STORE_MONTH_BYTES) {
    zctx.addIssue({
      code: 'custom',
      path: ['month'],
      message: `The file must be at most ${MAX_STORE_MONTH_BYTES / 1024 / 1024} MiB`,
    });
    return z.NEVER;
  }
  return { name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) };
});

export const trainingRouter = createTRPCRouter({
  /** What the form offers besides the store's months (runs.months): recipes and their defaults. */
  recipes: analystProcedure.query(() => ({
    recipes: [
      {
        recipe: 'zones' as const,
        label: 'zones (default): pair / zone / borough tables, distance curve, pickup time',
        defaults: DEFAULT_ADDITIVE_PARAMS,
      },
      {
        recipe: 'course' as const,
        label: "course: the course's LinearRegression on PU_DO + trip_distance",
        defaults: { solver: TRAINING_SOLVERS[0] },
      },
    ],
    solvers: TRAINING_SOLVERS,
    maxTrainMonths: MAX_TRAINING_MONTHS,
  })),

  /**
   * Start a job (train CLI as a child process locally, the trainer ECS task on AWS). The version it
   * registers is a candidate: promoting stays an admin's decision on the Models page.
   */
  start: analystProcedure.input(ZTrainingChoice).mutation(async ({ ctx, input }) => {
    try {
      const launched = await launchTrainingJob(
        { ...input, modelName: ctx.modelName, requestedBy: ctx.actor },
        { pool: poolOf(ctx) },
      );
      return { jobId: launched.jobId };
    } catch (error) {
      if (error instanceof MonthNotInStoreError) badRequest(showText(error.message, ctx), error);
      throw error;
    }
  }),

  /**
   * Or upload a month: a TLC file into the store's trip-data (then it is offered here and on the
   * batch form). A file the store refuses (name, size, content, already there) is a 400 saying why.
   */
  uploadMonth: analystProcedure.input(ZMonthUploadForm).mutation(async ({ ctx, input }) => {
    try {
      const added = await uploadStoreMonth(input, { pool: poolOf(ctx), requestedBy: ctx.actor });
      return { taxiType: added.taxiType, year: added.year, month: added.month };
    } catch (error) {
      if (error instanceof StoreMonthRefusedError) badRequest(showText(error.message, ctx), error);
      throw error;
    }
  }),

  list: analystProcedure
    .input(
      z
        .object({
          limit: z.number().int().min(1).max(100).default(20),
          cursor: z.string().nullish(),
        })
        .default({ limit: 20 }),
    )
    .query(async ({ ctx, input }) => {
      await reap(ctx);
      const page = await listTrainingJobs(ctx.db, input);
      return {
        ...page,
        items: page.items.map((job) => ({ ...job, error: showText(job.error, ctx) })),
      };
    }),

  get: analystProcedure
    .input(z.object({ id: z.string().min(1).max(100) }))
    .query(async ({ ctx, input }) => {
      await reap(ctx);
      const job = await getTrainingJob(ctx.db, input.id);
      if (!job) notFound(`No training job ${input.id}`);
      // Month files, the log and errors name server paths: store-relative below admin.
      return {
        ...job,
        trainUris: job.trainUris.map((uri) => showUri(uri, ctx)),
        validationUri: job.validationUri === null ? null : showUri(job.validationUri, ctx),
        logTail: showText(job.logTail, ctx),
        error: showText(job.error, ctx),
        launchedAs: showText(job.launchedAs, ctx),
        card: showCard(job, ctx),
      };
    }),
});
