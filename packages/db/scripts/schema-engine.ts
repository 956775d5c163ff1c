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
import { ColumnTypeEnum, bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import type {
  SqlDriverAdapter,
  SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';
import type { DiffTarget, SchemaEngine } from '@prisma/schema-engine-wasm';
import * as glue from '@prisma/schema-engine-wasm/schema_engine_bg';
import pg from 'pg';

const require = createRequire(import.meta.url);

/** Directory of packages/db. */
export const DB_PACKAGE_DIR = path.resolve(import.meta.dirname, '..');
export const SCHEMA_PATH = path.join(DB_PACKAGE_DIR, 'prisma', 'schema.prisma');
export const MIGRATIONS_DIR = path.join(DB_PACKAGE_DIR, 'prisma', 'migrations');

// adapter-pg 7.10 rejects Postgres' internal "char" type (OID 18), which the engine's
// introspection queries return (pg_class.relkind, pg_constraint.contype, ...). The pg client
// reports such columns as text (so the adapter reads them), remembers their positions, and the
// adapter's result marks them as Prisma's Character column type, which the engine expects.
const CHAR_OID = 18;
const TEXT_OID = 25;
const CHARACTER_COLUMN_TYPE = ColumnTypeEnum.Character;

type TCharColumns = { last: number[] };

function createIntrospectionPool(connectionString: string, charColumns: TCharColumns): pg.Pool {
  const pool = new pg.Pool({ connectionString, max: 1 });
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    const retype = (result: pg.QueryResult | undefined) => {
      charColumns.last = [];
      for (const [index, field] of (result?.fields ?? []).entries()) {
        if (field.dataTypeID !== CHAR_OID) continue;
        field.dataTypeID = TEXT_OID;
        charColumns.last.push(index);
      }
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

/** Connects an adapter whose results type "char" columns as Character (see above). */
async function connectIntrospectionAdapter(connectionString: string): Promise<SqlDriverAdapter> {
  const charColumns: TCharColumns = { last: [] };
  const adapter = await new PrismaPg(createIntrospectionPool(connectionString, charColumns), {
    disposeExternalPool: true,
  }).connect();
  const queryRaw = adapter.queryRaw.bind(adapter);
  // The pool has one connection and the engine awaits each query: `last` belongs to this call.
  adapter.queryRaw = async (query) => {
    const result = await queryRaw(query);
    for (const index of charColumns.last) result.columnTypes[index] = CHARACTER_COLUMN_TYPE;
    return result;
  };
  return adapter;
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
 * Runs `fn` with a wasm schema engine connected to `databaseUrl` (default: a throwaway in-memory
 * database), and a throwaway in-memory shadow database (PGlite cannot CREATE DATABASE, so the adapter's own
 * shadow-database path does not work there).
 */
export async function withSchemaEngine<T>(
  fn: (engine: SchemaEngine) => Promise<T>,
  { databaseUrl }: { databaseUrl?: string } = {},
): Promise<T> {
  await loadSchemaEngineWasm();
  // The engine's "main" database: a real one to introspect, or a throwaway PGlite.
  const main = databaseUrl
    ? { url: databaseUrl, close: async () => {} }
    : await startPgliteServer();
  // A fresh one each time the engine asks (diffs from a migrations folder), as Prisma's own
  // shadow database is created per use and dropped after.
  const shadows: TPgliteServer[] = [];
  const factory: SqlMigrationAwareDriverAdapterFactory = {
    provider: 'postgres',
    adapterName: '@prisma/adapter-pg',
    connect: () => connectIntrospectionAdapter(main.url),
    connectToShadowDb: async () => {
      const shadow = await startPgliteServer();
      shadows.push(shadow);
      return connectIntrospectionAdapter(shadow.url);
    },
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
    for (const shadow of shadows) await shadow.close();
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

/** The SQL that takes a database from `from` to `to` (Prisma's empty-migration comment when they agree). */
export async function diffWithEngine(
  engine: SchemaEngine,
  from: DiffTarget,
  to: DiffTarget,
): Promise<string> {
  const result = await engine.diff({
    from,
    to,
    script: true,
    exitCode: null,
    filters: { externalTables: [], externalEnums: [] },
  });
  return result.stdout ?? '';
}

export async function diffSchemas(from: DiffTarget, to: DiffTarget): Promise<string> {
  return withSchemaEngine((engine) => diffWithEngine(engine, from, to));
}

/** The Prisma schema (datasource + models) that Prisma's introspection reads from the engine's database. */
export async function introspectWithEngine(engine: SchemaEngine): Promise<string> {
  const datasourceOnly = 'datasource db {\n  provider = "postgresql"\n}\n';
  const result = await engine.introspect({
    schema: { files: [{ path: 'schema.prisma', content: datasourceOnly }] },
    baseDirectoryPath: DB_PACKAGE_DIR,
    force: true,
    compositeTypeDepth: 0,
    namespaces: null,
  });
  return result.schema.files.map((file) => file.content).join('\n');
}
