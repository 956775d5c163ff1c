// The console's database handle: one Prisma client per process (hot reload keeps it on globalThis).
import { createDbClient, createPgPool, type TDb } from '@tripcast/db/client';
import { getEnv } from '~/env';

export type { TDb };
export type TPgPool = ReturnType<typeof createPgPool>;

const holder = globalThis as typeof globalThis & {
  __tripcastConsoleDb?: TDb;
  __tripcastConsolePool?: TPgPool;
};

export function getConsoleDb(): TDb {
  holder.__tripcastConsoleDb ??= createDbClient(getEnv().DATABASE_URL);
  return holder.__tripcastConsoleDb;
}

/**
 * A small pg pool beside the Prisma client, for the raw-SQL lifecycle writers of @tripcast/db
 * (training jobs: start, reap) that take a pool.
 */
export function getConsolePool(): TPgPool {
  holder.__tripcastConsolePool ??= createPgPool(getEnv().DATABASE_URL, {
    max: 2,
    applicationName: 'tripcast-console',
  });
  return holder.__tripcastConsolePool;
}
