import { z } from 'zod';
import { listWebhookDeliveries } from '@tripcast/db/queries/webhook-deliveries';
import { analystProcedure, createTRPCRouter } from '../trpc';

/**
 * Run-finished event deliveries (webhook, EventBridge) the scorer recorded. Analysts and up: a
 * webhook URL is operator configuration and may carry a token in its query string.
 */
export const deliveriesRouter = createTRPCRouter({
  /** One run's deliveries, newest first (a rerun announces again). */
  listForRun: analystProcedure
    .input(z.object({ runId: z.string().min(1).max(200) }))
    .query(({ ctx, input }) => listWebhookDeliveries(ctx.db, { runId: input.runId, limit: 50 })),
});
