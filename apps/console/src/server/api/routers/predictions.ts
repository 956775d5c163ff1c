import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { ZRide } from '@tripcast/model';
import { listRecentOnlinePredictions, predictOnlineRide } from '../../predict-online';
import { showUri } from '../../server-paths';
import { analystProcedure, viewerProcedure, createTRPCRouter } from '../trpc';

export const predictionsRouter = createTRPCRouter({
  /** The TLC zone table for pickers, or null when none is configured (pickers fall back to IDs). */
  zones: viewerProcedure.query(async ({ ctx }) => {
    const table = await ctx.getZoneTable();
    // The file's location is the server's business: admins see it, others its name.
    return table ? { path: showUri(table.path, ctx), zones: table.zones } : null;
  }),

  predict: analystProcedure.input(ZRide).mutation(async ({ ctx, input }) => {
    const watcher = await ctx.getModelWatcher();
    // Nothing loaded yet (fresh install, or a promotion since the last tick): look once more now.
    if (!watcher.currentOrNull()) await watcher.refresh();
    const model = watcher.currentOrNull();
    if (!model) {
      throw new TRPCError({
        code: 'PRECONDITION_FAILED',
        message: `No version of ${ctx.modelName} is in production yet: promote one on the Models page.`,
      });
    }
    return predictOnlineRide({ db: ctx.db, model, ride: input });
  }),

  recent: viewerProcedure
    .input(z.object({ limit: z.number().int().min(1).max(100).default(10) }).default({ limit: 10 }))
    .query(({ ctx, input }) => listRecentOnlinePredictions(ctx.db, input.limit)),
});
