// Test context: the real routers over a real, freshly migrated database. Services that need
// the model store get it from the caller; nothing here is a mock.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDbClient, type TDb } from '@tripcast/db/client';
import { createMigratedTestDatabase } from '@tripcast/db/testing';
import type { TProductionModelWatcher } from '@tripcast/model/store';
import { createCaller } from '../api/root';
import { createContextInner, type TContextServices } from '../api/trpc';
import { readZoneTable } from '../zones';

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
  const zonesPath = overrides.getZoneTable ? null : findSharedData('taxi_zone_lookup.csv');
  const services: TContextServices = {
    db,
    modelName: 'ride_duration_prediction_model',
    storeUri: '/nonexistent-store',
    storeOptions: {},
    actor: 'test',
    getModelWatcher: () =>
      Promise.reject<TProductionModelWatcher>(new Error('no model watcher in this suite')),
    getZoneTable: () => readZoneTable(zonesPath).catch(() => null),
    ...overrides,
  };
  return {
    db,
    databaseUrl: database.url,
    caller: createCaller(createContextInner(services)),
    async close() {
      await db.$disconnect();
      await database.drop();
    },
  };
}
