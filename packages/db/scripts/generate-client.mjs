// Generates the Prisma client into src/generated/prisma (git-ignored). Runs on `npm install`
// (postinstall) so a fresh clone typechecks and tests without a manual step.
// `prisma generate` needs no database and no schema engine, but Prisma 7's CLI insists on both
// being configured: a placeholder DATABASE_URL, and PRISMA_SCHEMA_ENGINE_BINARY pointing at any
// existing file stops it from trying to download the native engine (unreachable offline).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const prismaCli = path.join(
  path.dirname(require.resolve('prisma/package.json')),
  'build',
  'index.js',
);

const result = spawnSync(process.execPath, [prismaCli, 'generate'], {
  cwd: packageDir,
  stdio: 'inherit',
  env: {
    ...process.env,
    DATABASE_URL: process.env.DATABASE_URL ?? 'postgresql://generate-only@127.0.0.1:5432/unused',
    PRISMA_SCHEMA_ENGINE_BINARY:
      process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? fileURLToPath(import.meta.url),
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
    CHECKPOINT_DISABLE: '1',
  },
});
process.exit(result.status ?? 1);
