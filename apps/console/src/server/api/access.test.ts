/**
 * Who may call what, enumerated: every tRPC procedure of appRouter (walked from `_def.procedures`)
 * must appear in MINIMUM_ROLE, and is called as an anonymous caller and as each role below its
 * minimum: each must be refused (UNAUTHORIZED / FORBIDDEN) before its input is even parsed. A new
 * procedure without an entry here fails this test. Every Next route handler file and every REST
 * route must likewise be listed in ROUTE_ACCESS (the REST routes are exercised in
 * src/rest/rest-api.test.ts, the export route below).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, type TRole } from '../auth/roles';
import { createTestAuth, createTestConsole, TEST_ADMIN, type TTestConsole } from '../testing/context';
import { appRouter, createCaller } from './root';
import { createContextInner } from './trpc';
import { createConsoleUser } from '../auth/users';
import { createHistoryExportHandler } from '../history-export';

const MINIMUM_ROLE: Record<string, TRole | 'public'> = {
  'auth.me': 'public',
  'overview.get': 'viewer',
  'runs.list': 'viewer',
  'runs.get': 'viewer',
  'runs.predictions': 'viewer',
  'runs.trigger': 'analyst',
  'runs.backfill': 'analyst',
  'runs.retry': 'analyst',
  'runs.months': 'analyst',
  'predictions.zones': 'viewer',
  'predictions.recent': 'viewer',
  'predictions.predict': 'analyst',
  'history.list': 'viewer',
  'history.modelVersions': 'viewer',
  'models.list': 'viewer',
  'models.register': 'admin',
  'models.promote': 'admin',
  'models.rollback': 'admin',
  'models.compare': 'analyst',
  'models.challengers': 'viewer',
  'models.addChallenger': 'admin',
  'models.removeChallenger': 'admin',
  // A training job registers a candidate, which serves nothing until an admin promotes it:
  // analysts train (as they trigger batch runs and compare versions).
  'training.recipes': 'analyst',
  'training.start': 'analyst',
  'training.uploadMonth': 'analyst',
  'training.list': 'analyst',
  'training.get': 'analyst',
  'apiKeys.list': 'admin',
  'apiKeys.create': 'admin',
  'apiKeys.revoke': 'admin',
  'users.list': 'admin',
  'users.create': 'admin',
  'users.setRole': 'admin',
  'users.setDisabled': 'admin',
  'users.resetPassword': 'admin',
  'users.changeOwnPassword': 'viewer',
  'audit.list': 'admin',
  'deliveries.listForRun': 'analyst',
  'monitoring.overview': 'viewer',
  'monitoring.driftDetail': 'viewer',
  'monitoring.status': 'viewer',
  'monitoring.openAlerts': 'viewer',
  'monitoring.acknowledgeAlert': 'analyst',
};

/** Every route handler under src/app and every REST path, with who may call it. */
const ROUTE_ACCESS: Record<string, string> = {
  'app/api/trpc/[trpc]/route.ts': 'per procedure (MINIMUM_ROLE); POST only from a trusted Origin',
  'app/api/history/export/route.ts': 'viewer',
  'app/api/auth/[...all]/route.ts': 'public: better-auth (sign-in, sign-out, session); sign-up disabled',
  'rest:POST /api/v1/predict': 'API key with the predict scope (Authorization: Bearer), or anonymous only with PREDICT_API_ALLOW_ANONYMOUS=true',
  'rest:GET /api/v1/runs': 'API key with the read scope (never anonymous)',
  'rest:GET /api/v1/runs/{id}': 'API key with the read scope (never anonymous)',
  'rest:GET /api/v1/runs/{id}/predictions': 'API key with the read scope (never anonymous)',
  'rest:GET /api/v1/predictions': 'API key with the read scope (never anonymous)',
  'rest:GET /api/v1/openapi.json': 'public (the API description)',
  'rest:GET /api/health': 'public (load balancer health check; no data)',
};

const APP_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../app');

function findRouteFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return findRouteFiles(full);
    return /^route\.(ts|tsx)$/.test(entry.name) ? [path.relative(path.dirname(APP_DIR), full)] : [];
  });
}

let t: TTestConsole;
beforeAll(async () => {
  t = await createTestConsole();
});
afterAll(() => t.close());

function callerAs(role: TRole | null) {
  return createCaller(
    createContextInner({
      db: t.db,
      modelName: 'ride_duration_prediction_model',
      storeUri: '/nonexistent-store',
      storeOptions: {},
      user: role ? { ...TEST_ADMIN, id: `u-${role}`, email: `${role}@example.com`, role } : null,
      actor: role ? `${role}@example.com` : 'anonymous',
      getAuth: () => {
        throw new Error('not reached: refused before the procedure runs');
      },
      getModelWatcher: () => Promise.reject(new Error('not reached')),
      getZoneTable: () => Promise.reject(new Error('not reached')),
    }),
  );
}

async function callProcedure(role: TRole | null, procedurePath: string): Promise<unknown> {
  const [routerName, name] = procedurePath.split('.') as [string, string];
  const caller = callerAs(role) as unknown as Record<string, Record<string, (input?: unknown) => Promise<unknown>>>;
  // No valid input on purpose: the role check runs before input parsing, so a refused caller
  // sees UNAUTHORIZED/FORBIDDEN, never BAD_REQUEST.
  return caller[routerName]![name]!(undefined);
}

describe('every tRPC procedure has a role decision and enforces it', () => {
  const procedures = Object.keys(appRouter._def.procedures).sort();

  it('lists every procedure of appRouter (and no stale entries)', () => {
    expect(procedures).toEqual(Object.keys(MINIMUM_ROLE).sort());
  });

  for (const procedurePath of Object.keys(MINIMUM_ROLE)) {
    const minimum = MINIMUM_ROLE[procedurePath]!;
    if (minimum === 'public') continue;
    const below = ROLES.slice(0, ROLES.indexOf(minimum));
    it(`${procedurePath} (${minimum}): refuses anonymous${below.length ? ` and ${below.join(', ')}` : ''}`, async () => {
      await expect(callProcedure(null, procedurePath)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
      for (const role of below) {
        const error = await callProcedure(role, procedurePath).catch((e: unknown) => e);
        expect(error, `${procedurePath} as ${role}`).toBeInstanceOf(TRPCError);
        expect((error as TRPCError).code, `${procedurePath} as ${role}`).toBe('FORBIDDEN');
      }
      // The minimum role gets past the check (it may still fail on the missing input).
      const error = await callProcedure(minimum, procedurePath).catch((e: unknown) => e);
      if (error instanceof TRPCError) expect(['UNAUTHORIZED', 'FORBIDDEN']).not.toContain(error.code);
    });
  }

  it('auth.me is the one public procedure: null for anonymous, the user otherwise', async () => {
    expect(await callerAs(null).auth.me()).toBeNull();
    expect(await callerAs('viewer').auth.me()).toMatchObject({ role: 'viewer' });
  });
});

describe('every route handler has a role decision', () => {
  it('lists every route file under src/app', () => {
    const files = findRouteFiles(APP_DIR).sort();
    expect(files).toEqual(Object.keys(ROUTE_ACCESS).filter((k) => !k.startsWith('rest:')).sort());
  });

  it('GET /api/history/export refuses an anonymous caller and serves a signed-in viewer', async () => {
    const auth = createTestAuth(t.db);
    const exportHistory = createHistoryExportHandler({ getAuth: () => auth, getDb: () => t.db });
    const url = 'http://127.0.0.1:3000/api/history/export?sources=online';
    const anonymous = await exportHistory(new Request(url))
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({ error: 'unauthorized', message: 'Sign in first' });

    await createConsoleUser({ auth, db: t.db }, { email: 'viewer@example.com', name: 'V', role: 'viewer', password: 'viewer-password-1', actor: 'test' });
    const signIn = await auth.handler(
      new Request('http://127.0.0.1:3000/api/auth/sign-in/email', {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: 'http://127.0.0.1:3000' },
        body: JSON.stringify({ email: 'viewer@example.com', password: 'viewer-password-1' }),
      }),
    );
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0]!
    const viewer = await exportHistory(new Request(url, { headers: { cookie } }));
    expect(viewer.status).toBe(200);
    expect(viewer.headers.get('content-type')).toMatch(/^text\/csv/);
    // Empty history: the header line and nothing else (an empty page once hung the stream).
    expect((await viewer.text()).trim().split('\n')).toHaveLength(1);
  });
});

describe('errors do not leak internals', () => {
  it('an unexpected error reaches an HTTP client as a generic message, without the cause or a stack', async () => {
    const { fetchRequestHandler } = await import('@trpc/server/adapters/fetch');
    const res = await fetchRequestHandler({
      endpoint: '/api/trpc',
      req: new Request('http://127.0.0.1:3000/api/trpc/predictions.zones'),
      router: appRouter,
      createContext: () =>
        createContextInner({
          db: t.db,
          modelName: 'm',
          storeUri: '/nonexistent-store',
          storeOptions: {},
          user: TEST_ADMIN,
          actor: TEST_ADMIN.email,
          getAuth: () => {
            throw new Error('not used');
          },
          getModelWatcher: () => Promise.reject(new Error('not used')),
          getZoneTable: () => Promise.reject(new Error('relation "secret_table" does not exist: SELECT * FROM secret_table')),
        }),
      onError: () => {},
    });
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).toContain('Internal error; it was logged');
    expect(text).not.toMatch(/secret_table|SELECT|\n\s+at |"stack":"/);
  });
});
