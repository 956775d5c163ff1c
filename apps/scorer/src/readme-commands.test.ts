// The README's "Using it" batch and train commands, run exactly as written (through sh, from the
// repo root, as a user would type them) against this suite's Postgres and a temp store given by
// env. npm runs each workspace script inside its workspace folder, so this fails if a relative
// `--input ../shared/data/...` is resolved from the process's folder instead of INIT_CWD.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { useMigratedTestDatabase } from '@tripcast/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { cliEnv } from './testing/cli-harness';
import { getRunRecord } from '@tripcast/db/queries/runs';
import { hasSharedData } from './testing/shared-data';

const run = promisify(execFile);
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** The shell commands of the README's "Using it" block, `\`-continued lines joined. */
async function readUsingItCommands(): Promise<string[]> {
  const readme = await readFile(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Using it'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)![1]!;
  return block
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
}

const suite = useMigratedTestDatabase();
let dir: string;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tripcast-readme-'));
  env = cliEnv({ DATABASE_URL: suite.url, OBJECT_STORE_URI: path.join(dir, 'store'), TRIPCAST_HOME: dir, TRIPCAST_NO_DOWNLOAD: 'true' });
  // As typed in a fresh terminal: npm sets INIT_CWD itself to the folder it is run from.
  for (const name of Object.keys(env)) if (name === 'INIT_CWD' || name.startsWith('npm_')) delete env[name];
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const SHARED = ['green_tripdata_2021-01.parquet', 'green_tripdata_2021-03.parquet'];

describe.skipIf(!SHARED.every(hasSharedData))('README "Using it" commands, from the repo root', () => {
  it('trains and promotes a model, then scores the month, as written', async () => {
    const commands = await readUsingItCommands();
    const train = commands.find((c) => c.startsWith('npm run train') && c.includes('--train '));
    const score = commands.find((c) => c.startsWith('npm run scorer') && c.includes(' run '));
    expect(train, commands.join('\n')).toContain('../shared/data/');
    expect(score, commands.join('\n')).toContain('--input ../shared/data/');
    for (const command of [train!, score!]) {
      const out = await run('sh', ['-c', command], { cwd: REPO_ROOT, env, timeout: 240_000 }).catch(
        (error: { stdout: string; stderr: string; code: number }) => error,
      );
      expect('code' in out ? out.code : 0, `${command}\n${out.stdout}\n${out.stderr}`).toBe(0);
    }
    const { rows } = await suite.pool.query<{ id: string }>(`SELECT id FROM batch_runs WHERE year = 2021 AND month = 1`);
    expect(rows).toHaveLength(1);
    const record = (await getRunRecord(suite.pool, rows[0]!.id))!;
    expect(record.status).toBe('succeeded');
    expect(record.rowsRead).toBe(76_518);
    // The course's row set of green 2021-01 (1 <= duration <= 60 min).
    expect(record.rowsScored).toBe(73_908);
  }, 600_000);
});
