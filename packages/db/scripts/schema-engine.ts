// Dev tooling only: Prisma's wasm schema engine, driven from Node, to write migration SQL
// (and diff schema against migrations in tests) on machines where the native schema-engine
// binary cannot be downloaded. This is an internal, undocumented Prisma API: it is never
// used at runtime, and must be re-checked on every Prisma upgrade (see README.md).
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { PrismaPg } from '@prisma/adapter-pg';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import type { DiffTarget, SchemaEngine } from '@prisma/schema-engine-wasm';
import * as glue from '@prisma/schema-engine-wasm/schema_engine_bg';
import pg from 'pg';

const require = createRequire(import.meta.url);

/** Directory of packages/db. */
export const DB_PACKAGE_DIR = path.resolve(import.meta.dirname, '..');
export const SCHEMA_PATH = path.join(DB_PACKAGE_DIR, 'prisma', 'schema.prisma');
export const MIGRATIONS_DIR = path.join(DB_PACKAGE_DIR, 'prisma', 'migrations');

// adapter-pg 7.10 rejects Postgres' internal "char" type (OID 18), which the engine's
// introspection queries return (pg_class.relkind, ...): report such columns as text.
const CHAR_OID = 18;
const TEXT_OID = 25;

function createIntrospectionPool(connectionString: string): pg.Pool {
  const pool = new pg.Pool({ connectionString, max: 1 });
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    const retype = (result: pg.QueryResult | undefined) => {
      for (const field of result?.fields ?? [])
        if (field.dataTypeID === CHAR_OID) field.dataTypeID = TEXT_OID;
      return result;
    };
    (client as { query: unknown }).query = (...args: unknown[]) => {
      const callback = args.at(-1);
      if (typeof callback === 'function') {
        return query(...args.slice(0, -1), (error: unknown, result: pg.QueryResult) =>
          (callback as (e: unknown, r: unknown) => void)(error, retype(result)),
        );
      }
      const pending = query(...args);
      return pending instanceof Promise ? pending.then(retype) : pending;
    };
  });
  return pool;
}

// The lib settings have no DOM types, where WebAssembly's are declared; Node has the global.
type TWasmApi = {
  instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: { exports: unknown } }>;
};
const wasmApi = (globalThis as unknown as { WebAssembly: TWasmApi }).WebAssembly;

let isWasmLoaded = false;

/** Instantiates the wasm shipped with the installed `prisma` CLI behind the npm JS glue. */
async function loadSchemaEngineWasm(): Promise<void> {
  if (isWasmLoaded) return;
  const wasmPath = path.join(
    path.dirname(require.resolve('prisma/package.json')),
    'build',
    'schema_engine_bg.wasm',
  );
  const bytes = await readFile(wasmPath);
  const { instance } = await wasmApi.instantiate(bytes, { './schema_engine_bg.js': glue });
  (glue as unknown as { __wbg_set_wasm: (exports: unknown) => void }).__wbg_set_wasm(
    instance.exports,
  );
  (instance.exports as { __wbindgen_start: () => void }).__wbindgen_start();
  isWasmLoaded = true;
}

type TPgliteServer = { url: string; close(): Promise<void> };

async function startPgliteServer(): Promise<TPgliteServer> {
  const db = await PGlite.create();
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0 });
  await server.start();
  // getServerConn() returns "host:port".
  const url = `postgresql://postgres:postgres@${server.getServerConn()}/postgres?sslmode=disable`;
  return {
    url,
    async close() {
      await server.stop();
      await db.close();
    },
  };
}

/**
 * Runs `fn` with a wasm schema engine connected to a throwaway in-memory database, and a
 * second one as the shadow database (PGlite cannot CREATE DATABASE, so the adapter's own
 * shadow-database path does not work there).
 */
export async function withSchemaEngine<T>(fn: (engine: SchemaEngine) => Promise<T>): Promise<T> {
  await loadSchemaEngineWasm();
  const main = await startPgliteServer();
  const shadow = await startPgliteServer();
  const mainFactory = new PrismaPg(createIntrospectionPool(main.url), {
    disposeExternalPool: true,
  });
  const shadowFactory = new PrismaPg(createIntrospectionPool(shadow.url), {
    disposeExternalPool: true,
  });
  const factory: SqlMigrationAwareDriverAdapterFactory = {
    provider: 'postgres',
    adapterName: mainFactory.adapterName,
    connect: () => mainFactory.connect(),
    connectToShadowDb: () => shadowFactory.connect(),
  };
  const logs: string[] = [];
  const engine = await glue.SchemaEngine.new(
    { datamodels: undefined },
    (line: string) => logs.push(line),
    bindMigrationAwareSqlAdapterFactory(factory),
  );
  try {
    return await fn(engine);
  } catch (error) {
    if (logs.length > 0) console.error(logs.slice(-10).join('\n'));
    throw error;
  } finally {
    engine.free();
    await main.close();
    await shadow.close();
  }
}

export async function readSchemaTarget(schemaPath = SCHEMA_PATH): Promise<DiffTarget> {
  return {
    tag: 'schemaDatamodel',
    files: [{ path: schemaPath, content: await readFile(schemaPath, 'utf8') }],
  };
}

export async function readMigrationsTarget(
  migrationsDir = MIGRATIONS_DIR,
): Promise<Extract<DiffTarget, { tag: 'migrations' }>> {
  const { readdir } = await import('node:fs/promises');
  const entries = await readdir(migrationsDir, { withFileTypes: true }).catch(() => []);
  const directories = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  const lockfilePath = path.join(migrationsDir, 'migration_lock.toml');
  const lockContent = await readFile(lockfilePath, 'utf8').catch(() => null);
  return {
    tag: 'migrations',
    baseDir: migrationsDir,
    lockfile: { path: 'migration_lock.toml', content: lockContent },
    shadowDbInitScript: '',
    migrationDirectories: await Promise.all(
      directories.map(async (name) => {
        const content = await readFile(
          path.join(migrationsDir, name, 'migration.sql'),
          'utf8',
        ).then(
          (text) => ({ tag: 'ok' as const, value: text }),
          (error: unknown) => ({ tag: 'error' as const, value: String(error) }),
        );
        return { path: name, migrationFile: { path: 'migration.sql', content } };
      }),
    ),
  };
}

/** The SQL that takes a database from `from` to `to` (empty string when they agree). */
export async function diffSchemas(from: DiffTarget, to: DiffTarget): Promise<string> {
  return withSchemaEngine(async (engine) => {
    const result = await engine.diff({
      from,
      to,
      script: true,
      exitCode: null,
      filters: { externalTables: [], externalEnums: [] },
    });
    return result.stdout ?? '';
  });
}
