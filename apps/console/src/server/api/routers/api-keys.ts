import { z } from 'zod';
import { API_KEY_SCOPES, createApiKey, listApiKeys, revokeApiKey } from '@tripcast/db/queries/api-keys';
import { announceApiKeyRevoked } from '../../api-key-revocations';
import { adminProcedure, createTRPCRouter, notFound } from '../trpc';

export const ZCreateApiKeyInput = z.object({
  name: z
    .string()
    .trim()
    .min(1, 'Name the key after the service that will use it')
    .max(100, 'At most 100 characters')
    .describe('Who uses the key, e.g. "billing service"'),
  scopes: z
    .array(z.enum(API_KEY_SCOPES))
    .min(1, 'Choose at least one: predict, read')
    .default(['predict'])
    .describe('predict: POST /api/v1/predict. read: the GET endpoints (runs, predictions). Default predict, as keys were before scopes'),
});

export const apiKeysRouter = createTRPCRouter({
  list: adminProcedure.query(({ ctx }) => listApiKeys(ctx.db)),

  /** The returned `key` is the only time the key is ever available in clear. */
  create: adminProcedure
    .input(ZCreateApiKeyInput)
    .mutation(({ ctx, input }) => createApiKey(ctx.db, { name: input.name, createdBy: ctx.actor, scopes: input.scopes })),

  revoke: adminProcedure.input(z.object({ id: z.uuid() })).mutation(async ({ ctx, input }) => {
    const revoked = await revokeApiKey(ctx.db, { id: input.id, actor: ctx.actor });
    if (!revoked) notFound(`No API key with id ${input.id}`);
    // This process's REST API drops the key from its cache now; others within their 1 s TTL.
    announceApiKeyRevoked(input.id);
    return revoked;
  }),
});
