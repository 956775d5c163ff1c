/**
 * `next build` only when the console's sources are newer than its last build: `npm start` on a
 * fresh clone needs a build, and a rebuild costs minutes on a small machine, so the supervisor's
 * `start:local` and the e2e call this instead of building every time.
 *
 *   tsx scripts/ensure-build.ts [--force]
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CONSOLE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** What a build depends on: the app and the Just-in-Time workspace packages it transpiles. */
const BUILD_INPUTS = [
  'src',
  'next.config.ts',
  'postcss.config.mjs',
  'package.json',
  '../../packages/model/src',
  '../../packages/db/src',
  '../../apps/scorer/src',
];

function newestMtime(p: string): number {
  const stat = fs.statSync(p, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = 0;
  for (const entry of fs.readdirSync(p, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.endsWith('.test.ts')) continue;
    newest = Math.max(newest, newestMtime(path.join(p, entry.name)));
  }
  return newest;
}

export function isBuildStale(): boolean {
  const builtAt =
    fs.statSync(path.join(CONSOLE_DIR, '.next', 'BUILD_ID'), { throwIfNoEntry: false })?.mtimeMs ??
    0;
  const sourcesAt = Math.max(...BUILD_INPUTS.map((p) => newestMtime(path.join(CONSOLE_DIR, p))));
  return builtAt <= sourcesAt;
}

export function buildConsoleIfStale(
  log: (line: string) => void,
  options: { force?: boolean } = {},
): void {
  if (!options.force && !isBuildStale()) {
    log('console build is up to date');
    return;
  }
  log('building the console (next build; a few minutes on 2 cores)');
  const started = Date.now();
  const result = spawnSync('npx', ['next', 'build'], {
    cwd: CONSOLE_DIR,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', NODE_ENV: 'production' },
  });
  if (result.status !== 0)
    throw new Error(`next build failed (exit ${result.status ?? result.signal})`);
  log(`next build took ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    console.log(
      'Usage: tsx scripts/ensure-build.ts [--force]\nRuns `next build` when the console sources changed since the last build.',
    );
  } else {
    try {
      buildConsoleIfStale((line) => console.log(`[console] ${line}`), {
        force: process.argv.includes('--force'),
      });
    } catch (error) {
      console.error(`[console] ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    }
  }
}
