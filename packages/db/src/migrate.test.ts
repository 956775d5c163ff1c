import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createTestDatabase, getTestPostgres } from '@tripcast/local-stack/testing';
import type { TTestDatabase } from '@tripcast/local-stack/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { DatabaseConnectionError } from './connection-errors';
import { applyMigrations, computeChecksum, readMigrationFiles } from './migrate';

const run = promisify(execFile);
const packageDir = path.resolve(import.meta.dirname, '..');

async function query<T extends pg.QueryResultRow>(
  url: string,
  sql: string,
  values: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

describe('applyMigrations', () => {
  const databases: TTestDatabase[] = [];
  const fresh = async () => {
    const database = await createTestDatabase();
    databases.push(database);
    return database;
  };
  afterAll(async () => {
    await Promise.all(databases.map((database) => database.drop()));
  });

  it('applies every committed migration once, with the bookkeeping Prisma writes', async () => {
    const database = await fresh();
    const migrations = await readMigrationFiles();
    expect(migrations.length).toBeGreaterThan(0);

    const first = await applyMigrations({ databaseUrl: database.url });
    expect(first.applied).toEqual(migrations.map((migration) => migration.name));

    const rows = await query<{
      migration_name: string;
      checksum: string;
      finished_at: Date | null;
      applied_steps_count: number;
      rolled_back_at: Date | null;
    }>(
      database.url,
      'SELECT migration_name, checksum, finished_at, applied_steps_count, rolled_back_at FROM _prisma_migrations ORDER BY migration_name',
    );
    expect(rows.map((row) => row.migration_name)).toEqual(
      migrations.map((migration) => migration.name),
    );
    for (const [index, row] of rows.entries()) {
      expect(row.checksum).toBe(migrations[index]?.checksum);
      expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.applied_steps_count).toBe(1);
      expect(row.rolled_back_at).toBeNull();
    }
    const tables = await query<{ tablename: string }>(
      database.url,
      "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
    );
    expect(tables.map((table) => table.tablename)).toEqual(
      expect.arrayContaining([
        '_prisma_migrations',
        'audit_log',
        'batch_predictions',
        'batch_runs',
        'dead_letters',
        'model_versions',
        'prediction_history',
        'shard_leases',
        'stream_checkpoints',
      ]),
    );

    // The second apply is a no-op.
    const second = await applyMigrations({ databaseUrl: database.url });
    expect(second.applied).toEqual([]);
    expect(second.alreadyApplied).toEqual(first.applied);
    const count = await query<{ n: number }>(
      database.url,
      'SELECT count(*)::int AS n FROM _prisma_migrations',
    );
    expect(count[0]?.n).toBe(migrations.length);
  });

  it('serializes concurrent applies on the advisory lock: each migration runs exactly once', async () => {
    const database = await fresh();
    const results = await Promise.all(
      Array.from({ length: 4 }, () => applyMigrations({ databaseUrl: database.url })),
    );
    const appliedBy = results.filter((result) => result.applied.length > 0);
    expect(appliedBy).toHaveLength(1);
    expect(results.filter((result) => result.applied.length === 0)).toHaveLength(3);
    const count = await query<{ n: number }>(
      database.url,
      'SELECT count(*)::int AS n FROM _prisma_migrations',
    );
    expect(count[0]?.n).toBe((await readMigrationFiles()).length);
  });

  it('rolls a failing migration back whole, records it as rolled back, and applies the fixed one later', async () => {
    const database = await fresh();
    const dir = await mkdtemp(path.join(tmpdir(), 'tripcast-migrations-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const write = async (name: string, sql: string) => {
      await mkdir(path.join(dir, name), { recursive: true });
      await writeFile(path.join(dir, name, 'migration.sql'), sql);
    };
    await write('20260101000000_a', 'CREATE TABLE a (id int);');
    await write('20260102000000_b', 'CREATE TABLE b (id int);\nSELECT no_such_function();');
    await expect(
      applyMigrations({ databaseUrl: database.url, migrationsDir: dir }),
    ).rejects.toThrow(/20260102000000_b failed and was rolled back/);

    const tables = await query<{ t: string | null }>(
      database.url,
      "SELECT to_regclass('a')::text AS t UNION ALL SELECT to_regclass('b')::text",
    );
    expect(tables.map((row) => row.t)).toEqual(['a', null]);
    const failed = await query<{ logs: string; rolled_back_at: Date | null }>(
      database.url,
      "SELECT logs, rolled_back_at FROM _prisma_migrations WHERE migration_name = '20260102000000_b'",
    );
    expect(failed[0]?.logs).toMatch(/no_such_function/);
    expect(failed[0]?.rolled_back_at).toBeInstanceOf(Date);

    await write('20260102000000_b', 'CREATE TABLE b (id int);');
    const retried = await applyMigrations({ databaseUrl: database.url, migrationsDir: dir });
    expect(retried.applied).toEqual(['20260102000000_b']);
    const checksum = await query<{ checksum: string }>(
      database.url,
      "SELECT checksum FROM _prisma_migrations WHERE migration_name = '20260102000000_b' AND finished_at IS NOT NULL",
    );
    expect(checksum[0]?.checksum).toBe(computeChecksum('CREATE TABLE b (id int);'));
  });

  it('refuses to go on after a migration Prisma left half-applied, and warns about edited ones', async () => {
    const database = await fresh();
    await applyMigrations({ databaseUrl: database.url });
    const lines: string[] = [];
    await query(database.url, "UPDATE _prisma_migrations SET checksum = repeat('0', 64)");
    await applyMigrations({ databaseUrl: database.url, log: (line) => lines.push(line) });
    expect(
      lines.some((line) => /warning: \d{14}_init was edited after it was applied/.test(line)),
    ).toBe(true);

    await query(
      database.url,
      "INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at) VALUES ('00000000-0000-0000-0000-000000000001', repeat('1', 64), '20990101000000_half', now())",
    );
    await expect(applyMigrations({ databaseUrl: database.url })).rejects.toThrow(
      /migration 20990101000000_half failed earlier and is not marked rolled back/,
    );
  });

  describe('a bad DATABASE_URL gives one clear line', () => {
    const { host, port, user, urlFor } = getTestPostgres();
    it.each([
      [
        'an unreachable host',
        `postgresql://${user}@127.0.0.1:1/postgres`,
        /cannot reach Postgres at 127\.0\.0\.1:1\/postgres: connection refused/,
      ],
      [
        'an unknown host name',
        `postgresql://${user}@no-such-host.invalid:5432/postgres`,
        /cannot reach Postgres at no-such-host\.invalid:5432\/postgres: unknown host/,
      ],
      [
        'a wrong password',
        `postgresql://${user}:wrong-password@${host}:${port}/postgres`,
        /refused login for user/,
      ],
      [
        'a missing password',
        `postgresql://${user}@${host}:${port}/postgres`,
        /requires a password for user/,
      ],
      [
        'a missing database',
        urlFor('no_such_database'),
        /database does not exist at .*\/no_such_database/,
      ],
      ['not a URL', 'not a url', /DATABASE_URL is not a valid URL/],
      ['another scheme', 'mysql://root@localhost/db', /must start with postgresql:\/\//],
    ])('%s', async (_label, databaseUrl, message) => {
      const error = await applyMigrations({ databaseUrl }).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(DatabaseConnectionError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain('wrong-password');
    });
  });
});

describe('npm run migrate (CLI)', () => {
  let database: TTestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database.drop();
  });

  const migrate = (env: Record<string, string | undefined>) =>
    run(process.execPath, ['--import', 'tsx', 'src/migrate-cli.ts', '--engine', 'builtin'], {
      cwd: packageDir,
      env: { ...process.env, ...env },
    }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code: number; stdout: string; stderr: string }) => ({
        code: error.code,
        stdout: error.stdout,
        stderr: error.stderr,
      }),
    );

  it('migrates, then reports up to date', async () => {
    const first = await migrate({ DATABASE_URL: database.url });
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/applying \d{14}_init/);
    const second = await migrate({ DATABASE_URL: database.url });
    expect(second.stdout).toMatch(/database is up to date/);
  });

  it('prints one line, no stack trace, for a refused connection', async () => {
    const result = await migrate({ DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/tripcast' });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      'migrate: cannot reach Postgres at 127.0.0.1:1/tripcast: connection refused (is the server running and DATABASE_URL right?)',
    ]);
  });

  it('names DATABASE_URL when it is missing', async () => {
    const result = await migrate({ DATABASE_URL: undefined });
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toMatch(/^migrate: DATABASE_URL is not set/);
  });
});
