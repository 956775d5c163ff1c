import { z } from 'zod';
import { listAuditLog } from '@tripcast/db/queries/audit';
import { adminProcedure, createTRPCRouter } from '../trpc';

export const auditRouter = createTRPCRouter({
  /** Newest first: who triggered, promoted, registered, created or revoked what, and when. */
  list: adminProcedure
    .input(z.object({ limit: z.number().int().min(1).max(200).default(50), cursor: z.string().nullish() }))
    .query(({ ctx, input }) => listAuditLog(ctx.db, { limit: input.limit, cursor: input.cursor })),
});
