// A database migrated from the committed migrations (by applyMigrations, on the harness'
// Postgres 17) and prisma/schema.prisma must describe the same tables, columns, types,
// nullability, defaults, uniques, indexes and enums. Prisma's own schema engine (wasm)
// introspects the database and diffs the two, so everything Prisma models is compared. A schema
// change committed without its migration, or a migration edit the schema does not reflect,
// fails here.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SchemaEngine } from '@prisma/schema-engine-wasm';
import {
  SCHEMA_PATH,
  diffWithEngine,
  introspectWithEngine,
  readMigrationsTarget,
  readSchemaTarget,
  withSchemaEngine,
} from '../scripts/schema-engine';
import { createTestDatabase } from '@tripcast/local-stack/testing';
import { applyMigrations } from './migrate';
import { replaceRunPredictions } from './batch-predictions';
import { createPgPool } from './client';
import { createMigratedTestDatabase } from './testing';
import type { TTestDatabase } from './testing';

const EMPTY_MIGRATION = '-- This is an empty migration.';
const schemaTarget = (content: string) => ({
  tag: 'schemaDatamodel' as const,
  files: [{ path: SCHEMA_PATH, content }],
});

describe('schema agreement', () => {
  let database: TTestDatabase;
  // One engine session (wasm start-up and the in-memory shadow database are the slow parts),
  // connected to a database that applyMigrations migrated.
  let engine: SchemaEngine;
  let closeEngine: () => void;
  let engineDone: Promise<void>;

  beforeAll(async () => {
    database = await createMigratedTestDatabase();
    // A loaded run: its partition must not look like a table of its own.
    const pool = createPgPool(database.url);
    await pool.query(
      "INSERT INTO batch_runs (id, taxi_type, year, month, input_uri, trigger) VALUES ('r', 'green', 2021, 1, 'x', 'cli')",
    );
    await replaceRunPredictions({ pool, runKey: 1, rows: [] });
    await pool.end();
    await new Promise<void>((ready) => {
      engineDone = withSchemaEngine(
        (started) =>
          new Promise<void>((close) => {
            engine = started;
            closeEngine = close;
            ready();
          }),
        { databaseUrl: database.url },
      );
    });
  });
  afterAll(async () => {
    closeEngine?.();
    await engineDone;
    await database.drop();
  });

  let introspected: string;

  it('a database migrated by applyMigrations matches schema.prisma', async () => {
    introspected = await introspectWithEngine(engine);
    for (const table of [
      'model_versions',
      'batch_runs',
      'batch_predictions',
      'prediction_history',
      'stream_checkpoints',
      'shard_leases',
      'dead_letters',
      'audit_log',
    ]) {
      expect(introspected).toMatch(new RegExp(`model ${table} \\{`));
    }
    const sql = await diffWithEngine(engine, schemaTarget(introspected), await readSchemaTarget());
    expect(sql.trim()).toBe(EMPTY_MIGRATION);
  });

  it('catches a schema change that has no migration (the check can fail)', async () => {
    const schema = await readFile(SCHEMA_PATH, 'utf8');
    const changed = schema
      .replace('model AuditLog {\n', 'model AuditLog {\n  ipAddress  String?  @map("ip_address")\n')
      .replace('  @@index([owner])\n', '  @@index([owner])\n  @@index([expiresAt])\n')
      .replace('rowsRejected   Int        @default(0)', 'rowsRejected   BigInt     @default(0)');
    expect(introspected).toBeDefined();
    const sql = await diffWithEngine(engine, schemaTarget(introspected), schemaTarget(changed));
    expect(sql).toContain('ADD COLUMN     "ip_address" TEXT');
    expect(sql).toContain('CREATE INDEX "shard_leases_expires_at_idx"');
    expect(sql).toMatch(/ALTER COLUMN "rows_rejected" SET DATA TYPE BIGINT/);
  });

  it("Prisma's own engine reads the applier's bookkeeping: nothing edited, failed or pending", async () => {
    const filters = { externalTables: [], externalEnums: [] };
    const migrationsList = await readMigrationsTarget();
    const diagnosis = await engine.diagnoseMigrationHistory({
      migrationsList,
      optInToShadowDatabase: false,
      filters,
    });
    expect(diagnosis).toMatchObject({
      hasMigrationsTable: true,
      editedMigrationNames: [],
      failedMigrationNames: [],
      history: null,
    });
    // What `prisma migrate deploy` does: it finds every migration already applied.
    expect(await engine.applyMigrations({ migrationsList, filters })).toEqual({
      appliedMigrationNames: [],
    });
  });
});

describe('taking over from Prisma', () => {
  it("the applier treats migrations applied by Prisma's engine as applied", async () => {
    const fresh = await createTestDatabase();
    try {
      const migrationsList = await readMigrationsTarget();
      const applied = await withSchemaEngine(
        (engine) =>
          engine.applyMigrations({
            migrationsList,
            filters: { externalTables: [], externalEnums: [] },
          }),
        { databaseUrl: fresh.url },
      );
      expect(applied.appliedMigrationNames).toEqual(
        migrationsList.migrationDirectories.map((directory) => directory.path),
      );
      const lines: string[] = [];
      const result = await applyMigrations({
        databaseUrl: fresh.url,
        log: (line) => lines.push(line),
      });
      // Same checksums as Prisma's: no "edited after it was applied" warning.
      expect(lines.filter((line) => line.startsWith('warning'))).toEqual([]);
      expect(result.applied).toEqual([]);
      expect(result.alreadyApplied).toEqual(applied.appliedMigrationNames);
    } finally {
      await fresh.drop();
    }
  });
});
