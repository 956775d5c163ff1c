// tRPC core for the console: the request context, initTRPC, and the base procedure.
import { initTRPC, TRPCError } from '@trpc/server';
import superjson from 'superjson';
import { ZodError, z } from 'zod';
import { getEnv } from '~/env';
import { getConsoleDb, getConsolePool, type TDb, type TPgPool } from '../db';
import { getModelWatcher } from '../model-session';
import { getZoneTable, type TZoneTable } from '../zones';
import type { TProductionModelWatcher } from '@tripcast/model/store';
import { getStoreOptions } from '../store-options';
import type { TObjectStoreOptions } from '@tripcast/model/object-store';
import { getAuth, getSessionUser, type TAuth } from '../auth/auth';
import { hasRole, type TRole, type TSessionUser } from '../auth/roles';

// ---- Context ---------------------------------------------------------------------------------
// Everything a procedure may touch. Long-lived services are resolved lazily so a page that only
// reads runs never loads the model. Tests build it with createContextInner and their own db.

export type TContextServices = {
  db: TDb;
  /**
   * A pg pool on the same database, for @tripcast/db's raw-SQL writers (training jobs); absent in
   * tests that need none.
   */
  getPool?(): TPgPool;
  modelName: string;
  storeUri: string;
  storeOptions: TObjectStoreOptions;
  /** The signed-in user (session cookie), or null: role-checked procedures refuse null. */
  user: TSessionUser | null;
  /** Who acts, for the audit log: the signed-in user's email. */
  actor: string;
  /** The request's headers (its session cookie), for better-auth's own endpoints; null in tests that need none. */
  headers?: Headers | null;
  getAuth(): TAuth;
  getModelWatcher(): Promise<TProductionModelWatcher>;
  getZoneTable(): Promise<TZoneTable | null>;
};

export function createContextInner(services: TContextServices) {
  return { ...services };
}
export type TContext = ReturnType<typeof createContextInner>;

/** Context for an HTTP request (the fetch adapter in app/api/trpc): the session from its cookie. */
export async function createRequestContext(opts: { headers: Headers }): Promise<TContext> {
  const env = getEnv();
  const user = await getSessionUser(getAuth(), opts.headers);
  return createContextInner({
    db: getConsoleDb(),
    getPool: getConsolePool,
    modelName: env.MODEL_NAME,
    storeUri: env.objectStoreUri,
    storeOptions: getStoreOptions(),
    user,
    actor: user?.email ?? 'anonymous',
    headers: opts.headers,
    getAuth,
    getModelWatcher,
    getZoneTable,
  });
}

// ---- Initialisation --------------------------------------------------------------------------
// superjson keeps Dates as Dates; zod errors are flattened so forms can show them by field.

const t = initTRPC.context<TContext>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    // An unexpected error's message may carry SQL, a file path or a driver detail: the client gets
    // a generic message (the route handler logs the real one), never internals or a stack.
    const isInternal = error.code === 'INTERNAL_SERVER_ERROR';
    return {
      ...shape,
      ...(isInternal ? { message: 'Internal error; it was logged' } : {}),
      data: {
        ...shape.data,
        stack: undefined,
        fieldErrors:
          error.cause instanceof ZodError ? z.flattenError(error.cause).fieldErrors : null,
        // Every problem with its full path (`recipe.params.lambdaPair`): nested forms name the field.
        issues:
          error.cause instanceof ZodError
            ? error.cause.issues.map((issue) => ({
                path: issue.path.map(String).join('.'),
                message: issue.message,
              }))
            : null,
      },
    };
  },
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

// ---- Procedures --------------------------------------------------------------------------------
// Every procedure names the lowest role that may call it (viewer < analyst < admin); an anonymous
// caller gets UNAUTHORIZED, a lower role FORBIDDEN. `publicProcedure` is for `auth.me` only
// (src/server/api/access.test.ts enumerates every procedure against its expected role).
// Domain errors that a user can fix are mapped to BAD_REQUEST / NOT_FOUND by the routers;
// anything else stays INTERNAL_SERVER_ERROR.

export const publicProcedure = t.procedure;

function requireRole(minimum: TRole) {
  return t.procedure.use(({ ctx, next }) => {
    if (!ctx.user) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Sign in first' });
    if (!hasRole(ctx.user.role, minimum)) {
      throw new TRPCError({ code: 'FORBIDDEN', message: `This needs the ${minimum} role (you are ${ctx.user.role})` });
    }
    return next({ ctx: { ...ctx, user: ctx.user } });
  });
}

export const viewerProcedure = requireRole('viewer');
export const analystProcedure = requireRole('analyst');
export const adminProcedure = requireRole('admin');

export function notFound(message: string): never {
  throw new TRPCError({ code: 'NOT_FOUND', message });
}

export function badRequest(message: string, cause?: unknown): never {
  throw new TRPCError({ code: 'BAD_REQUEST', message, cause });
}
