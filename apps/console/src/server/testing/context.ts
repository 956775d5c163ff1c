// Test context: the real routers over a real, freshly migrated database. Services that need
// the model store get it from the caller; nothing here is a mock.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDbClient, createPgPool, type TDb } from '@tripcast/db/client';
import { createMigratedTestDatabase } from '@tripcast/db/testing';
import type { TProductionModelWatcher } from '@tripcast/model/store';
import { createCaller } from '../api/root';
import { createContextInner, type TContextServices } from '../api/trpc';
import { createAuth, type TAuth } from '../auth/auth';
import type { TSessionUser } from '../auth/roles';
import type { TSignInThrottle } from '../auth/sign-in-throttle';
import { readZoneTable } from '../zones';

/** The default caller of router tests: an admin (tests of lower roles pass their own `user`). */
export const TEST_ADMIN: TSessionUser = { id: 'test-admin', email: 'test', name: 'Test admin', role: 'admin' };

/** A real better-auth instance over the test database (local origins, a throwaway secret). */
export function createTestAuth(db: TDb, options: { throttle?: TSignInThrottle } = {}): TAuth {
  return createAuth({
    ...options,
    db,
    secret: 'test-secret-test-secret-test-secret-0123',
    baseURL: 'http://127.0.0.1:3000',
    trustedOrigins: ['http://127.0.0.1:*', 'http://localhost:*'],
  });
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../..');

/** The shared TLC zone table (TRIPCAST_SHARED_DATA, else <repo>/../shared/data), or null when absent. */
export function findSharedData(file: string): string | null {
  const dir = process.env.TRIPCAST_SHARED_DATA ?? path.join(repoRoot, '..', 'shared', 'data');
  return path.join(dir, file);
}

export type TTestConsole = {
  db: TDb;
  databaseUrl: string;
  caller: ReturnType<typeof createCaller>;
  close(): Promise<void>;
};

export async function createTestConsole(
  overrides: Partial<TContextServices> = {},
): Promise<TTestConsole> {
  const database = await createMigratedTestDatabase();
  const db = createDbClient(database.url);
  let pool: ReturnType<typeof createPgPool> | undefined;
  const zonesPath = overrides.getZoneTable ? null : findSharedData('taxi_zone_lookup.csv');
  let auth: TAuth | undefined;
  const user = overrides.user === undefined ? TEST_ADMIN : overrides.user;
  const services: TContextServices = {
    db,
    getPool: () => (pool ??= createPgPool(database.url, { max: 2 })),
    modelName: 'ride_duration_prediction_model',
    storeUri: '/nonexistent-store',
    storeOptions: {},
    user,
    actor: overrides.actor ?? user?.email ?? 'anonymous',
    headers: overrides.headers ?? null,
    getAuth: () => (auth ??= createTestAuth(db)),
    getModelWatcher: () =>
      Promise.reject<TProductionModelWatcher>(new Error('no model watcher in this suite')),
    getZoneTable: () => readZoneTable(zonesPath).catch(() => null),
    ...overrides,
  };
  services.user = user;
  return {
    db,
    databaseUrl: database.url,
    caller: createCaller(createContextInner(services)),
    async close() {
      await db.$disconnect();
      await pool?.end();
      await database.drop();
    },
  };
}
