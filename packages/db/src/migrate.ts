// Applies prisma/migrations/*/migration.sql in order, once, under Postgres' advisory lock,
// keeping Prisma's `_prisma_migrations` bookkeeping (same table, columns and checksums as
// `prisma migrate deploy`), so either tool can take over from the other. Used where Prisma's
// native schema engine is not installed (it is downloaded at install time, which fails offline).
import { createHash, randomUUID } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { DatabaseConnectionError, assertPostgresUrl, toConnectionError } from './connection-errors';

export const MIGRATIONS_DIR = path.resolve(import.meta.dirname, '..', 'prisma', 'migrations');

// The advisory lock key Prisma's schema engine takes for `migrate deploy` (72707369), so that
// this path and Prisma's own serialize against each other too.
const PRISMA_MIGRATE_LOCK_KEY = 72707369;

// Prisma's own DDL for its bookkeeping table (schema-engine, sql-migration-connector).
const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

export type TMigrationFile = { name: string; sql: string; checksum: string };

export type TApplyMigrationsOptions = {
  databaseUrl: string;
  /** Progress lines; defaults to silence. */
  log?: (line: string) => void;
  /** Defaults to this package's prisma/migrations. */
  migrationsDir?: string;
};

export type TApplyMigrationsResult = { applied: string[]; alreadyApplied: string[] };

/** Prisma's migration checksum: SHA-256 (hex) of the migration.sql bytes. */
export function computeChecksum(sql: string): string {
  return createHash('sha256').update(sql, 'utf8').digest('hex');
}

/** The migration directories, sorted by name (their timestamp prefix orders them). */
export async function readMigrationFiles(
  migrationsDir = MIGRATIONS_DIR,
): Promise<TMigrationFile[]> {
  const entries = await readdir(migrationsDir, { withFileTypes: true });
  const names = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(path.join(migrationsDir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: computeChecksum(sql) };
    }),
  );
}

type TAppliedRow = {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  logs: string | null;
};

/**
 * Brings the database at `databaseUrl` up to the committed migrations. Idempotent: a second call
 * applies nothing. Concurrent callers (several services starting at once) wait on the lock.
 * Each migration runs in one transaction, so a failing one leaves no half-applied schema; it is
 * recorded as rolled back (with the error in `logs`), as Prisma does after `migrate resolve`.
 */
export async function applyMigrations({
  databaseUrl,
  log = () => {},
  migrationsDir,
}: TApplyMigrationsOptions): Promise<TApplyMigrationsResult> {
  assertPostgresUrl(databaseUrl);
  const migrations = await readMigrationFiles(migrationsDir);
  const client = new pg.Client({
    connectionString: databaseUrl,
    connectionTimeoutMillis: 10_000,
    application_name: 'tripcast-migrate',
  });
  // An 'error' event without a listener would crash the process if the server goes away.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (error) {
    // Close the socket: a login that failed on our side (e.g. no password for SCRAM) otherwise
    // leaves a backend waiting in authentication for authentication_timeout (60 s), which also
    // stalls DROP DATABASE on that server.
    await client.end().catch(() => {});
    throw toConnectionError(error, databaseUrl);
  }
  try {
    await client.query('SELECT pg_advisory_lock($1)', [PRISMA_MIGRATE_LOCK_KEY]);
    try {
      await client.query(CREATE_MIGRATIONS_TABLE);
      return await applyPending(client, migrations, log);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [PRISMA_MIGRATE_LOCK_KEY]);
    }
  } finally {
    await client.end();
  }
}

async function applyPending(
  client: pg.Client,
  migrations: TMigrationFile[],
  log: (line: string) => void,
): Promise<TApplyMigrationsResult> {
  const { rows } = await client.query<TAppliedRow>(
    'SELECT migration_name, checksum, finished_at, rolled_back_at, logs FROM "_prisma_migrations" ORDER BY started_at',
  );
  const failed = rows.find((row) => row.finished_at === null && row.rolled_back_at === null);
  if (failed) {
    // Same stance as Prisma (P3009): a half-applied migration needs a human.
    throw new DatabaseConnectionError(
      `migration ${failed.migration_name} failed earlier and is not marked rolled back; fix the database, then run \`prisma migrate resolve\` (see packages/db/README.md)`,
    );
  }
  const finished = new Map(
    rows
      .filter((row) => row.finished_at !== null && row.rolled_back_at === null)
      .map((row) => [row.migration_name, row]),
  );
  const known = new Set(migrations.map((migration) => migration.name));
  for (const name of finished.keys())
    if (!known.has(name))
      log(`warning: ${name} is applied in the database but missing from the migrations folder`);

  const result: TApplyMigrationsResult = { applied: [], alreadyApplied: [] };
  for (const migration of migrations) {
    const applied = finished.get(migration.name);
    if (applied) {
      if (applied.checksum !== migration.checksum)
        log(`warning: ${migration.name} was edited after it was applied (checksum differs)`);
      result.alreadyApplied.push(migration.name);
      continue;
    }
    log(`applying ${migration.name}`);
    await applyOne(client, migration);
    result.applied.push(migration.name);
  }
  log(
    result.applied.length === 0
      ? `database is up to date (${migrations.length} migrations)`
      : `applied ${result.applied.length} migration(s)`,
  );
  return result;
}

async function applyOne(client: pg.Client, migration: TMigrationFile): Promise<void> {
  const id = randomUUID();
  try {
    await client.query('BEGIN');
    await client.query(
      'INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count) VALUES ($1, $2, $3, now(), 0)',
      [id, migration.checksum, migration.name],
    );
    // A multi-statement script goes through the simple query protocol in one round trip.
    await client.query(migration.sql);
    await client.query(
      'UPDATE "_prisma_migrations" SET finished_at = clock_timestamp(), applied_steps_count = 1 WHERE id = $1',
      [id],
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    const message = error instanceof Error ? error.message : String(error);
    await client.query(
      'INSERT INTO "_prisma_migrations" (id, checksum, migration_name, logs, started_at, rolled_back_at, applied_steps_count) VALUES ($1, $2, $3, $4, now(), now(), 0)',
      [id, migration.checksum, migration.name, message],
    );
    throw new Error(`migration ${migration.name} failed and was rolled back: ${message}`, {
      cause: error,
    });
  }
}
