// Test helper: a fresh, migrated database per suite on the local-stack harness' Postgres.
// Migrating takes a few hundred ms; copying a template database takes a few ms. So migrations
// run once per test run into a template named after their checksums, and every suite gets
// `CREATE DATABASE ... TEMPLATE` of it. Workers (one process per test file) coordinate through
// an advisory lock on the server.
import { createHash, randomUUID } from 'node:crypto';
import { createTestDatabase, getTestPostgres } from '@tripcast/local-stack/testing';
import type { TTestDatabase } from '@tripcast/local-stack/testing';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { createDbClient, createPgPool, type TDb } from './client';
import { applyMigrations, readMigrationFiles } from './migrate';
import { claimRun, createRunRecord, recordRunModel, type TNewRun } from './queries/runs';

export type { TTestDatabase } from '@tripcast/local-stack/testing';

const TEMPLATE_LOCK_KEY = 0x7d_b7e3; // any constant distinct from Prisma's migrate lock

let templateName: Promise<string> | undefined;

/** A new database with every committed migration applied. Call `drop()` when done. */
export async function createMigratedTestDatabase(): Promise<TTestDatabase> {
  templateName ??= ensureMigratedTemplate().catch((error: unknown) => {
    templateName = undefined;
    throw error;
  });
  return createTestDatabase({ template: await templateName });
}

export type TMigratedTestSuite = {
  /** The database's URL (for code under test that opens its own connections). */
  readonly url: string;
  /** The Prisma client on it. */
  readonly db: TDb;
  /** A pg pool on it, for the raw-SQL writers. */
  readonly pool: pg.Pool;
};

/**
 * One migrated database for a test file: created in beforeAll with a Prisma client and a pg pool
 * on it, all closed and the database dropped in afterAll. Read its fields inside tests (they
 * exist once beforeAll has run).
 */
export function useMigratedTestDatabase(options: { poolMax?: number } = {}): TMigratedTestSuite {
  let state: { database: TTestDatabase; db: TDb; pool: pg.Pool } | undefined;
  const current = () => {
    if (!state) throw new Error('the test database exists only inside tests (after beforeAll)');
    return state;
  };
  beforeAll(async () => {
    const database = await createMigratedTestDatabase();
    state = { database, db: createDbClient(database.url), pool: createPgPool(database.url, { max: options.poolMax ?? 2 }) };
  });
  afterAll(async () => {
    if (!state) return;
    await state.db.$disconnect();
    await state.pool.end();
    await state.database.drop();
  });
  return {
    get url() {
      return current().database.url;
    },
    get db() {
      return current().db;
    },
    get pool() {
      return current().pool;
    },
  };
}

async function ensureMigratedTemplate(): Promise<string> {
  const migrations = await readMigrationFiles();
  const fingerprint = createHash('sha256')
    .update(migrations.map((migration) => `${migration.name}:${migration.checksum}`).join('\n'))
    .digest('hex')
    .slice(0, 12);
  const name = `tripcast_template_${fingerprint}`;
  const admin = new pg.Client({ connectionString: getTestPostgres().adminUrl });
  await admin.connect();
  try {
    await admin.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK_KEY]);
    const { rowCount } = await admin.query(
      'SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate',
      [name],
    );
    if (rowCount === 0) {
      // A leftover from a worker that died mid-migration is not marked as a template: redo it.
      await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(name)} WITH (FORCE)`);
      const database = await createTestDatabase({ name });
      await applyMigrations({ databaseUrl: database.url });
      await admin.query(`ALTER DATABASE ${admin.escapeIdentifier(name)} WITH IS_TEMPLATE true`);
    }
    return name;
  } finally {
    await admin.query('SELECT pg_advisory_unlock($1)', [TEMPLATE_LOCK_KEY]).catch(() => {});
    await admin.end();
  }
}

/**
 * A batch run for tests, written the way the scorer writes one (queries/runs.ts): created
 * queued, and with `modelVersion` also claimed (running) with model `m` at that version.
 */
export async function createTestRun(
  pool: pg.Pool,
  input: Pick<TNewRun, 'taxiType' | 'year' | 'month' | 'inputUri' | 'trigger'> &
    Partial<Pick<TNewRun, 'backfillId' | 'outputUri' | 'rejectsUri'>> & { modelVersion?: string },
): Promise<{ id: string; key: number }> {
  const run: TNewRun = { outputUri: null, rejectsUri: null, ...input, id: randomUUID() };
  const created = await createRunRecord(pool, run);
  if (input.modelVersion !== undefined)
    await startTestRun(pool, { ...run, modelName: undefined, modelVersion: input.modelVersion });
  return { id: created.id, key: created.key };
}

/** Claims a queued test run (running) with `modelName` (default `m`) at `modelVersion`. */
export async function startTestRun(
  pool: pg.Pool,
  run: {
    id: string;
    modelName?: string;
    modelVersion: string;
    inputUri?: string;
    outputUri?: string | null;
    rejectsUri?: string | null;
  },
): Promise<void> {
  await claimRun(pool, {
    runId: run.id,
    staleAfterMs: 0,
    inputUri: run.inputUri ?? 'x',
    outputUri: run.outputUri ?? null,
    rejectsUri: run.rejectsUri ?? null,
  });
  await recordRunModel(pool, run.id, { name: run.modelName ?? 'm', version: run.modelVersion });
}
