// tRPC core for the console: the request context, initTRPC, and the base procedure.
import { initTRPC, TRPCError } from '@trpc/server';
import superjson from 'superjson';
import { ZodError, z } from 'zod';
import { getEnv } from '~/env';
import { getConsoleDb, type TDb } from '../db';
import { getModelWatcher } from '../model-session';
import { getZoneTable, type TZoneTable } from '../zones';
import type { TProductionModelWatcher } from '@tripcast/model/store';
import { getStoreOptions } from '../store-options';
import type { TObjectStoreOptions } from '@tripcast/model/object-store';

// ---- Context ---------------------------------------------------------------------------------
// Everything a procedure may touch. Long-lived services are resolved lazily so a page that only
// reads runs never loads the model. Tests build it with createContextInner and their own db.

export type TContextServices = {
  db: TDb;
  modelName: string;
  storeUri: string;
  storeOptions: TObjectStoreOptions;
  /** Who acts, for the audit log (no sign-in yet: the console runs on a trusted network). */
  actor: string;
  getModelWatcher(): Promise<TProductionModelWatcher>;
  getZoneTable(): Promise<TZoneTable | null>;
};

export function createContextInner(services: TContextServices) {
  return { ...services };
}
export type TContext = ReturnType<typeof createContextInner>;

/** Context for an HTTP request (the fetch adapter in app/api/trpc). */
export function createRequestContext(opts: { headers: Headers }): TContext {
  const env = getEnv();
  return createContextInner({
    db: getConsoleDb(),
    modelName: env.MODEL_NAME,
    storeUri: env.objectStoreUri,
    storeOptions: getStoreOptions(),
    actor: opts.headers.get('x-tripcast-user') ?? 'console',
    getModelWatcher,
    getZoneTable,
  });
}

// ---- Initialisation --------------------------------------------------------------------------
// superjson keeps Dates as Dates; zod errors are flattened so forms can show them by field.

const t = initTRPC.context<TContext>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    return {
      ...shape,
      data: {
        ...shape.data,
        stack: undefined,
        fieldErrors:
          error.cause instanceof ZodError ? z.flattenError(error.cause).fieldErrors : null,
      },
    };
  },
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

// ---- Procedures --------------------------------------------------------------------------------
// One public procedure: there are no accounts yet. Domain errors that a user can fix are mapped
// to BAD_REQUEST / NOT_FOUND by the routers; anything else stays INTERNAL_SERVER_ERROR.

export const publicProcedure = t.procedure;

export function notFound(message: string): never {
  throw new TRPCError({ code: 'NOT_FOUND', message });
}

export function badRequest(message: string, cause?: unknown): never {
  throw new TRPCError({ code: 'BAD_REQUEST', message, cause });
}
