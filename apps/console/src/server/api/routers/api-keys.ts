import { z } from 'zod';
import { createApiKey, listApiKeys, revokeApiKey } from '@tripcast/db/queries/api-keys';
import { announceApiKeyRevoked } from '../../api-key-revocations';
import { adminProcedure, createTRPCRouter, notFound } from '../trpc';

export const ZCreateApiKeyInput = z.object({
  name: z
    .string()
    .trim()
    .min(1, 'Name the key after the service that will use it')
    .max(100, 'At most 100 characters')
    .describe('Who uses the key, e.g. "billing service"'),
});

export const apiKeysRouter = createTRPCRouter({
  list: adminProcedure.query(({ ctx }) => listApiKeys(ctx.db)),

  /** The returned `key` is the only time the key is ever available in clear. */
  create: adminProcedure
    .input(ZCreateApiKeyInput)
    .mutation(({ ctx, input }) => createApiKey(ctx.db, { name: input.name, createdBy: ctx.actor })),

  revoke: adminProcedure.input(z.object({ id: z.uuid() })).mutation(async ({ ctx, input }) => {
    const revoked = await revokeApiKey(ctx.db, { id: input.id, actor: ctx.actor });
    if (!revoked) notFound(`No API key with id ${input.id}`);
    // This process's REST API drops the key from its cache now; others within their 1 s TTL.
    announceApiKeyRevoked(input.id);
    return revoked;
  }),
});
