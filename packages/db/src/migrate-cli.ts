// `npm run migrate -w @tripcast/db`: brings DATABASE_URL up to the committed migrations.
// Uses Prisma's own `prisma migrate deploy` where its native schema engine is installed, and
// otherwise applyMigrations() (same SQL, same `_prisma_migrations` bookkeeping).
import { spawnSync } from 'node:child_process';
import { accessSync, constants, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DatabaseConnectionError } from './connection-errors';
import { readDbEnv } from './env';
import { applyMigrations } from './migrate';

const USAGE = `Usage: npm run migrate -w @tripcast/db [-- --engine auto|prisma|builtin]

Applies packages/db/prisma/migrations to the Postgres database in DATABASE_URL.
  --engine auto     prisma migrate deploy when Prisma's native schema engine is installed, else builtin (default)
  --engine prisma   always use prisma migrate deploy
  --engine builtin  always use the built-in applier (advisory lock + _prisma_migrations)`;

const require = createRequire(import.meta.url);
const packageDir = path.resolve(import.meta.dirname, '..');

/** Path of an installed native schema engine, if any (never downloads one). */
function findNativeSchemaEngine(configured: string | undefined): string | undefined {
  // A real engine answers `--version` with "schema-engine-cli <hash>"; a placeholder file
  // (as `prisma generate` is given) does not.
  const isExecutable = (file: string) => {
    try {
      accessSync(file, constants.X_OK);
      const probe = spawnSync(file, ['--version'], { encoding: 'utf8', timeout: 10_000 });
      return probe.status === 0 && probe.stdout.includes('schema-engine');
    } catch {
      return false;
    }
  };
  if (configured) return isExecutable(configured) ? configured : undefined;
  // Where @prisma/engines' postinstall puts it on machines that can download it.
  let enginesDir: string;
  try {
    enginesDir = path.dirname(require.resolve('@prisma/engines/package.json'));
  } catch {
    return undefined;
  }
  const candidate = readdirSync(enginesDir).find((file) => file.startsWith('schema-engine-'));
  return candidate && isExecutable(path.join(enginesDir, candidate))
    ? path.join(enginesDir, candidate)
    : undefined;
}

function runPrismaMigrateDeploy(databaseUrl: string, engine: string): number {
  const prismaCli = path.join(
    path.dirname(require.resolve('prisma/package.json')),
    'build',
    'index.js',
  );
  const result = spawnSync(process.execPath, [prismaCli, 'migrate', 'deploy'], {
    cwd: packageDir,
    stdio: 'inherit',
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PRISMA_SCHEMA_ENGINE_BINARY: engine,
      PRISMA_HIDE_UPDATE_MESSAGE: '1',
    },
  });
  return result.status ?? 1;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { help: { type: 'boolean', short: 'h' }, engine: { type: 'string', default: 'auto' } },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!['auto', 'prisma', 'builtin'].includes(values.engine)) {
    console.error(`migrate: --engine must be auto, prisma or builtin\n\n${USAGE}`);
    return 2;
  }
  const env = readDbEnv();
  if (values.engine !== 'builtin') {
    const engine = findNativeSchemaEngine(env.PRISMA_SCHEMA_ENGINE_BINARY);
    if (engine) return runPrismaMigrateDeploy(env.DATABASE_URL, engine);
    if (values.engine === 'prisma') {
      console.error(
        "migrate: Prisma's native schema engine is not installed (set PRISMA_SCHEMA_ENGINE_BINARY to it)",
      );
      return 1;
    }
  }
  await applyMigrations({
    databaseUrl: env.DATABASE_URL,
    log: (line) => console.log(`migrate: ${line}`),
  });
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // Configuration and connection problems are one line; anything else keeps its stack.
    const isExpected =
      error instanceof DatabaseConnectionError ||
      (error instanceof Error && /DATABASE_URL|migration /.test(error.message));
    console.error(
      `migrate: ${isExpected && error instanceof Error ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    process.exitCode = 1;
  },
);
