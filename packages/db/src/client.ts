// The Prisma client (driver adapter: node-postgres) and a raw pg Pool for COPY and bulk SQL.
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { assertPostgresUrl } from './connection-errors';
import { readDbEnv } from './env';
import { PrismaClient } from './generated/prisma/client';

export type TDb = PrismaClient;
export { Prisma } from './generated/prisma/client';

export type TCreatePgPoolOptions = {
  /** Connections in the pool; default 10. */
  max?: number;
  /** Shown in pg_stat_activity. */
  applicationName?: string;
};

/** A pg Pool for raw SQL and COPY. The caller ends it (`pool.end()`). */
export function createPgPool(
  databaseUrl: string,
  { max = 10, applicationName = 'tripcast' }: TCreatePgPoolOptions = {},
): pg.Pool {
  assertPostgresUrl(databaseUrl);
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max,
    application_name: applicationName,
    connectionTimeoutMillis: 10_000,
  });
  // An idle client losing its server emits 'error' on the pool; without a listener that
  // would crash the process. The next query gets a fresh connection (or a clear error).
  pool.on('error', (error) =>
    console.warn(`postgres pool (${applicationName}): idle connection lost: ${error.message}`),
  );
  return pool;
}

/** A Prisma client on its own pool. The caller disconnects it (`db.$disconnect()`). */
export function createDbClient(databaseUrl: string, options: TCreatePgPoolOptions = {}): TDb {
  const adapter = new PrismaPg(createPgPool(databaseUrl, options), { disposeExternalPool: true });
  return new PrismaClient({ adapter });
}

let processDb: TDb | undefined;

/** The process-wide client, from the validated DATABASE_URL (created on first use). */
export function getDb(): TDb {
  processDb ??= createDbClient(readDbEnv().DATABASE_URL);
  return processDb;
}

/**
 * Runs `work` on one client of `pool` inside a transaction: committed when it resolves, rolled
 * back when it throws (the error is the one thrown). For the plain-pg writers that replace a
 * set of rows at once.
 */
export async function withTransaction<T>(
  pool: Pick<pg.Pool, 'connect'>,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
