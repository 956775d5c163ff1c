import { getProductionModelVersion } from '@tripcast/db/queries/models';
import { listBatchRuns } from '@tripcast/db/queries/runs';
import {
  listActivitySeries,
  listStreamCheckpoints,
  summarizeShardLeases,
  summarizeSourceActivity,
} from '../../queries/overview';
import { showModelVersion, showText } from '../../server-paths';
import { viewerProcedure, createTRPCRouter } from '../trpc';

const ACTIVITY_WINDOW_MINUTES = 15;

export const overviewRouter = createTRPCRouter({
  get: viewerProcedure.query(async ({ ctx }) => {
    const [runs, activity, series, checkpoints, leases, production] = await Promise.all([
      listBatchRuns(ctx.db, { limit: 5 }),
      summarizeSourceActivity(ctx.db, { windowMinutes: ACTIVITY_WINDOW_MINUTES }),
      listActivitySeries(ctx.db, { minutes: 60 }),
      listStreamCheckpoints(ctx.db),
      summarizeShardLeases(ctx.db),
      getProductionModelVersion(ctx.db, ctx.modelName),
    ]);
    return {
      runs: runs.items.map((run) => ({ ...run, error: showText(run.error, ctx) })),
      activity,
      series,
      checkpoints,
      leases,
      production: production && showModelVersion(production, ctx),
      modelName: ctx.modelName,
    };
  }),
});
