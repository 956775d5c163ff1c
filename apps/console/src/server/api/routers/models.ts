import { z } from 'zod';
import { compareChallengerAgreement } from '@tripcast/db/queries/history';
import { getModelVersion } from '@tripcast/db/queries/models';
import { ZModelVersion, ZTaxiType } from '@tripcast/model';
import { compareVersions, UnknownModelVersionError } from '@tripcast/model/compare-versions';
import { listScorableMonths } from '@tripcast/scorer/launcher';
import {
  addChallenger,
  findRollbackTarget,
  listModelVersions,
  MAX_CHALLENGERS_PER_NAME,
  ModelStageError,
  removeChallenger,
  resolveServingModels,
  promoteModel,
  registerModel,
  NoRollbackTargetError,
  rollbackModel,
} from '@tripcast/model/store';
import { refreshAfterRegistryChange } from '../../model-session';
import { checkModelUpload, ModelUploadError } from '../../register-model';
import { showModelVersion, showText } from '../../server-paths';
import {
  analystProcedure,
  badRequest,
  adminProcedure,
  viewerProcedure,
  createTRPCRouter,
  type TContext,
} from '../trpc';
import { listRecentChallengerFaults } from '@tripcast/db/queries/challenger-faults';
import { listMonthlyModelMetrics } from '@tripcast/db/queries/run-metrics';

/** A consumer refreshes its fault report every 30 s: older rows are from instances that stopped. */
const CHALLENGER_FAULT_FRESH_MS = 90_000;

/** 64 MiB: far above our linear models (~300 kB), low enough to refuse an accidental upload. */
const MAX_ONNX_BYTES = 64 * 1024 * 1024;

const ZRegisterForm = z.instanceof(FormData).transform(async (form, zctx) => {
  const onnx = form.get('onnx');
  const card = form.get('card');
  if (!(onnx instanceof File) || onnx.size === 0) {
    zctx.addIssue({ code: 'custom', path: ['onnx'], message: 'Choose the model.onnx file' });
    return z.NEVER;
  }
  if (onnx.size > MAX_ONNX_BYTES) {
    zctx.addIssue({
      code: 'custom',
      path: ['onnx'],
      message: `model.onnx must be at most ${MAX_ONNX_BYTES / 1024 / 1024} MiB`,
    });
    return z.NEVER;
  }
  if (!(card instanceof File) || card.size === 0) {
    zctx.addIssue({ code: 'custom', path: ['card'], message: 'Choose the card.json file' });
    return z.NEVER;
  }
  return { onnx: new Uint8Array(await onnx.arrayBuffer()), cardJson: await card.text() };
});

/**
 * This process serves predictions too (tRPC and the REST API share one watcher): switch it now
 * rather than at the next tick. Other processes follow within their watch interval. A failure
 * here does not undo the promotion; the watcher retries on its own.
 */
async function refreshServingModel(ctx: TContext) {
  try {
    await refreshAfterRegistryChange(await ctx.getModelWatcher());
  } catch (error) {
    console.warn('model watcher refresh after a promotion failed:', error);
  }
}

/**
 * A registry stage change (promote, add or remove a challenger): the store's refusal of a rule
 * (ModelStageError) is the caller's 400, and this process serves the new stages at once.
 */
async function changeStage(ctx: TContext, version: string, change: () => Promise<unknown>) {
  try {
    await change();
  } catch (error) {
    if (error instanceof ModelStageError) badRequest(error.message, error);
    throw error;
  }
  await refreshServingModel(ctx);
  return { version };
}

export const modelsRouter = createTRPCRouter({
  list: viewerProcedure.query(async ({ ctx }) => ({
    name: ctx.modelName,
    // Artifact folders and training files are server paths: admins only (server-paths.ts).
    versions: (await listModelVersions(ctx.db, ctx.modelName)).map((row) =>
      showModelVersion(row, ctx),
    ),
    /** What Roll back would put back, so its confirmation can name it. */
    rollbackTarget: (await findRollbackTarget(ctx.db, ctx.modelName))?.version ?? null,
  })),

  /**
   * Score up to four versions on one month of the store's trip data, side by side (RMSE, MAE and
   * bias overall and by distance band, a predicted-vs-actual grid, how far each pair is apart).
   * Seconds for a demo month, longer for a big one: the page shows progress while it runs.
   */
  compare: analystProcedure
    .input(
      z.object({
        taxiType: ZTaxiType,
        year: z.number().int().min(2009).max(2100),
        month: z.number().int().min(1).max(12),
        versions: z
          .array(ZModelVersion)
          .min(1, 'Pick at least one version')
          .max(4, 'Compare at most four versions'),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { months } = await listScorableMonths();
      const found = months.find(
        (m) => m.taxiType === input.taxiType && m.year === input.year && m.month === input.month,
      );
      const label = `${input.taxiType} ${input.year}-${String(input.month).padStart(2, '0')}`;
      if (!found) badRequest(`No trip data for ${label} in the store: add the month first`);
      try {
        const { file: _file, ...comparison } = await compareVersions(ctx.db, {
          name: ctx.modelName,
          versions: [...new Set(input.versions)],
          month: found.uri,
          s3: ctx.storeOptions.s3,
          log: () => undefined,
        });
        // The month's file is a server path (server-paths.ts): the label says which month it was.
        return { month: label, ...comparison };
      } catch (error) {
        if (error instanceof UnknownModelVersionError) badRequest(error.message, error);
        throw error;
      }
    }),

  register: adminProcedure.input(ZRegisterForm).mutation(async ({ ctx, input }) => {
    let checked;
    try {
      checked = await checkModelUpload(input);
    } catch (error) {
      if (error instanceof ModelUploadError) badRequest(error.message);
      throw error;
    }
    const { card } = checked;
    if (card.name !== ctx.modelName) {
      badRequest(
        `card.json names the model "${card.name}"; this console serves "${ctx.modelName}"`,
      );
    }
    if (await getModelVersion(ctx.db, { name: card.name, version: card.version })) {
      badRequest(
        `${card.name} ${card.version} is already registered: give the new model another version`,
      );
    }
    const registered = await registerModel({
      db: ctx.db,
      storeUri: ctx.storeUri,
      ...ctx.storeOptions,
      onnx: checked.onnx,
      card,
      actor: ctx.actor,
    });
    return { version: registered.version, probe: checked.probe };
  }),

  promote: adminProcedure
    .input(
      z.object({
        version: ZModelVersion,
        previousStage: z
          .enum(['archived', 'challenger'])
          .default('archived')
          .describe('What the current production version becomes'),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const target = await getModelVersion(ctx.db, { name: ctx.modelName, version: input.version });
      if (!target) badRequest(`${ctx.modelName} has no version ${input.version}`);
      if (target.stage === 'production') badRequest(`${input.version} is already in production`);
      return changeStage(ctx, input.version, () =>
        promoteModel(ctx.db, {
          name: ctx.modelName,
          version: input.version,
          actor: ctx.actor,
          previousStage: input.previousStage,
        }),
      );
    }),

  /**
   * Production and its challengers, each challenger compared with production over [from, to):
   * online and stream agreement from the history, and batch error month by month from the
   * per-model run metrics (batch_run_model_metrics).
   */
  challengers: viewerProcedure
    .input(
      z
        .object({ from: z.date(), to: z.date() })
        .refine((p) => p.from < p.to, { message: 'from must be before to', path: ['from'] }),
    )
    .query(async ({ ctx, input }) => {
      const serving = await resolveServingModels(ctx.db, ctx.modelName);
      const challengers = await Promise.all(
        serving.challengers.map(async (row) => ({
          version: row.version,
          createdAt: row.createdAt,
          agreement: await compareChallengerAgreement(ctx.db, {
            modelName: ctx.modelName,
            version: row.version,
            from: input.from,
            to: input.to,
          }),
        })),
      );
      // This process serves online predictions: a challenger its watcher could not load is skipped
      // there, and shown here with why.
      const loaded = await ctx
        .getModelWatcher()
        .then((watcher) => watcher.challengers())
        .catch(() => []);
      // Stream consumers are other processes: they report theirs in Postgres with every lease tick.
      const versions = new Set(serving.challengers.map((c) => c.version));
      const streamFaults = await listRecentChallengerFaults(ctx.db, {
        since: new Date(Date.now() - CHALLENGER_FAULT_FRESH_MS),
      });
      const failing = [
        ...loaded
          .filter((c) => c.error !== null)
          .map((c) => ({
            version: c.version,
            where: 'online' as const,
            error: showText(c.error!, ctx),
          })),
        ...streamFaults
          .filter((f) => versions.has(f.modelVersion))
          .map((f) => ({
            version: f.modelVersion,
            where: 'stream' as const,
            error: showText(f.error, ctx),
          })),
      ];
      return {
        name: ctx.modelName,
        production: serving.production?.version ?? null,
        maxChallengers: MAX_CHALLENGERS_PER_NAME,
        failing,
        challengers,
        // Batch error against actual durations, month by month (the latest succeeded run of each
        // month that the version scored), for production and every challenger.
        batchMonths: serving.production
          ? await listMonthlyModelMetrics(ctx.db, {
              modelName: ctx.modelName,
              versions: [serving.production.version, ...serving.challengers.map((c) => c.version)],
            })
          : [],
      };
    }),

  addChallenger: adminProcedure
    .input(z.object({ version: ZModelVersion }))
    .mutation(async ({ ctx, input }) => {
      return changeStage(ctx, input.version, () =>
        addChallenger(ctx.db, { name: ctx.modelName, version: input.version, actor: ctx.actor }),
      );
    }),

  removeChallenger: adminProcedure
    .input(z.object({ version: ZModelVersion }))
    .mutation(async ({ ctx, input }) => {
      return changeStage(ctx, input.version, () =>
        removeChallenger(ctx.db, { name: ctx.modelName, version: input.version, actor: ctx.actor }),
      );
    }),

  rollback: adminProcedure
    .input(
      z
        .object({
          toVersion: z
            .string()
            .min(1)
            .max(200)
            .optional()
            .describe('The version the confirmation named: refused if another would come back'),
        })
        .default({}),
    )
    .mutation(async ({ ctx, input }) => {
      if (input.toVersion) {
        const target = await findRollbackTarget(ctx.db, ctx.modelName);
        if (target && target.version !== input.toVersion)
          badRequest(
            `A rollback now puts back ${target.version}, not ${input.toVersion}: the registry changed, reload and confirm again`,
          );
      }
      let restored;
      try {
        restored = await rollbackModel(ctx.db, { name: ctx.modelName, actor: ctx.actor });
      } catch (error) {
        // The store's one refusal a user can act on; anything else is a real failure.
        if (error instanceof NoRollbackTargetError) badRequest(error.message, error);
        throw error;
      }
      await refreshServingModel(ctx);
      return { version: restored.version };
    }),
});
