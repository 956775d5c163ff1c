import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { ZRide } from '@tripcast/model';
import { ModelRegistryError } from '../../model-registry';
import { listRecentOnlinePredictions, predictOnlineRide } from '../../predict-online';
import { createTRPCRouter, publicProcedure } from '../trpc';

export const predictionsRouter = createTRPCRouter({
  /** The TLC zone table for pickers, or null when none is configured (pickers fall back to IDs). */
  zones: publicProcedure.query(async ({ ctx }) => {
    const table = await ctx.getZoneTable();
    return table ? { path: table.path, zones: table.zones } : null;
  }),

  predict: publicProcedure.input(ZRide).mutation(async ({ ctx, input }) => {
    const watcher = await ctx.getModelWatcher();
    let model;
    try {
      model = watcher.current();
    } catch (error) {
      if (!(error instanceof ModelRegistryError)) throw error;
      // Nothing loaded yet: a version may have been promoted since the last tick.
      await watcher.refresh();
      try {
        model = watcher.current();
      } catch (again) {
        if (again instanceof ModelRegistryError)
          throw new TRPCError({
            code: 'PRECONDITION_FAILED',
            message: again.message,
            cause: again,
          });
        throw again;
      }
    }
    return predictOnlineRide({ db: ctx.db, model, ride: input });
  }),

  recent: publicProcedure
    .input(z.object({ limit: z.number().int().min(1).max(100).default(10) }).default({ limit: 10 }))
    .query(({ ctx, input }) => listRecentOnlinePredictions(ctx.db, input.limit)),
});
