import { z } from 'zod';
import { listHistory, listHistoryModelVersions } from '@tripcast/db/queries/history';
import { ZHistoryFilter } from '../../history-filter';
import { viewerProcedure, createTRPCRouter } from '../trpc';

export const historyRouter = createTRPCRouter({
  list: viewerProcedure
    .input(
      z.object({
        filter: ZHistoryFilter.default({ sources: ['online', 'stream', 'batch'] }),
        page: z.number().int().min(1).max(100_000).default(1),
        pageSize: z.number().int().min(1).max(200).default(50),
      }),
    )
    .query(({ ctx, input }) => listHistory(ctx.db, input)),

  modelVersions: viewerProcedure.query(({ ctx }) => listHistoryModelVersions(ctx.db)),
});
