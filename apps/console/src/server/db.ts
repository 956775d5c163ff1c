// The console's database handle: one Prisma client per process (hot reload keeps it on globalThis).
import { createDbClient, type TDb } from '@tripcast/db/client';
import { getEnv } from '~/env';

export type { TDb };

const holder = globalThis as typeof globalThis & { __tripcastConsoleDb?: TDb };

export function getConsoleDb(): TDb {
  holder.__tripcastConsoleDb ??= createDbClient(getEnv().DATABASE_URL);
  return holder.__tripcastConsoleDb;
}
