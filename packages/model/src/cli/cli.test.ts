import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createDbClient } from '@tripcast/db/client';
import { createMigratedTestDatabase, type TTestDatabase } from '@tripcast/db/testing';

import { ZModelCard } from '../model-card';
import { resolveProductionModel } from '../store';

const run = promisify(execFile);
const packageDir = path.resolve(import.meta.dirname, '../..');
const tsx = path.resolve(packageDir, '../../node_modules/.bin/tsx');

async function cli(script: string, args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(tsx, [path.join(packageDir, 'src/cli', script), ...args], {
      cwd: packageDir,
      env: { ...process.env, ...env },
      timeout: 120_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

let dir: string;
let database: TTestDatabase;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tripcast-cli-'));
  database = await createMigratedTestDatabase();
});
afterAll(async () => {
  await database?.drop();
  await rm(dir, { recursive: true, force: true });
});

// Concurrent: each test spawns its own processes (tsx start-up dominates), with separate folders.
describe.concurrent('CLIs', () => {
  it.each(['generate.ts', 'train.ts', 'bootstrap.ts', 'models.ts'])(
    '%s --help prints usage',
    async (script) => {
      const result = await cli(script, ['--help']);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/Usage: npm run \w+ -w @tripcast\/model/);
    },
  );

  it('generate then train --out --register --promote writes, registers and promotes', async () => {
    const generated = await cli('generate.ts', ['--rows', '8000', '--out', dir, '--seed', '4']);
    expect(generated.code).toBe(0);
    const month = path.join(dir, 'green_tripdata_2021-01.parquet');
    const out = path.join(dir, 'model');
    const trained = await cli(
      'train.ts',
      [
        '--train',
        month,
        '--validation',
        month,
        '--out',
        out,
        '--version',
        'cli-1',
        '--register',
        '--promote',
      ],
      {
        DATABASE_URL: database.url,
        OBJECT_STORE_URI: path.join(dir, 'train-store'),
        MODEL_NAME: 'trained_by_cli',
        TRIPCAST_ACTOR: 'tester',
      },
    );
    expect(trained.stderr).toBe('');
    expect(trained.stdout).toMatch(/validation RMSE \d+\.\d{4} min/);
    expect(trained.stdout).toContain('promoted trained_by_cli@cli-1 to production');
    const db = createDbClient(database.url, { max: 1 });
    try {
      expect(await resolveProductionModel(db, 'trained_by_cli')).toMatchObject({
        version: 'cli-1',
        promotedBy: 'tester',
        artifactUri: path.join(dir, 'train-store', 'models', 'trained_by_cli', 'cli-1'),
      });
    } finally {
      await db.$disconnect();
    }
    const card = ZModelCard.parse(JSON.parse(await readFile(path.join(out, 'card.json'), 'utf8')));
    expect(card.version).toBe('cli-1');
    expect(card.training?.trainData[0]?.uri).toBe(month);
  });

  it('train names a bad argument', async () => {
    const result = await cli('train.ts', [
      '--train',
      'x.parquet',
      '--solver',
      'magic',
      '--out',
      dir,
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--solver must be one of sklearn, exact');
  });

  it.each([
    [['--job-id', 'j1', '--out', 'x'], '--job-id needs --register'],
    [['--job-id', 'j1', '--register', '--promote'], '--job-id refuses --promote'],
    [['--param', 'lambdaPair=-2', '--out', 'x'], '--param lambdaPair: Too small'],
    [['--param', 'knots=3,1', '--out', 'x'], '--param knots: knots must increase'],
  ])('train %j is refused before reading anything', async (args, message) => {
    const result = await cli('train.ts', ['--train', 'x.parquet', ...args]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(message);
  });

  it('bootstrap makes a production model once; models lists it', async () => {
    const env = {
      DATABASE_URL: database.url,
      OBJECT_STORE_URI: path.join(dir, 'store'),
      TRIPCAST_NO_DOWNLOAD: 'true',
      MODEL_NAME: 'cli_model',
      TLC_DATA_DIR: '',
    };
    const first = await cli('bootstrap.ts', ['--rows', '10000'], env);
    expect(first.stderr).toBe('');
    expect(first.stdout).toMatch(/production model cli_model@\S+ \(trained\)/);
    const second = await cli('bootstrap.ts', [], env);
    expect(second.stdout).toMatch(/\(existing\)/);
    const listed = await cli('models.ts', ['list'], env);
    expect(listed.stdout).toMatch(/cli_model\s+\S+\s+production/);

    const version = /cli_model\s+(\S+)\s+production/.exec(listed.stdout)![1]!;
    const serving = await cli('models.ts', ['challenger', 'list'], env);
    expect(serving.stdout).toBe(`cli_model  production  ${version}\ncli_model  no challengers\n`);
    const refused = await cli('models.ts', ['challenger', 'add', '--version', version], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`cli_model@${version} is in production`);
    const badOption = await cli(
      'models.ts',
      ['promote', '--version', version, '--previous', 'gone'],
      env,
    );
    expect(badOption.code).toBe(1);
    expect(badOption.stderr).toMatch(/--previous: /);

    // compare: by default production (the only version here), on a generated month.
    const month = path.join(dir, 'compare-month');
    const generated = await cli(
      'generate.ts',
      ['--taxi-type', 'green', '--year', '2021', '--month', '3', '--rows', '5000', '--out', month],
      env,
    );
    expect(generated.code, generated.stderr).toBe(0);
    const file = path.join(month, 'green_tripdata_2021-03.parquet');
    const compared = await cli('models.ts', ['compare', '--month', file, '--json'], env);
    expect(compared.code, compared.stderr).toBe(0);
    const comparison = JSON.parse(compared.stdout) as {
      rowsCompared: number;
      versions: { label: string; evaluation: { rmse: number } }[];
    };
    expect(comparison.versions.map((v) => v.label)).toEqual([`${version} (production)`]);
    expect(comparison.rowsCompared).toBeGreaterThan(3000);
    expect(comparison.versions[0]!.evaluation.rmse).toBeGreaterThan(0);
    const table = await cli('models.ts', ['compare', '--month', file, '--version', version], env);
    expect(table.stdout).toMatch(/RMSE\s+\d+\.\d{3}/);
    const unknown = await cli('models.ts', ['compare', '--month', file, '--version', 'nope'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no version nope of cli_model is registered');
  }, 240_000); // a dozen CLI processes, each paying tsx start-up

  it('bootstrap fails fast naming a missing DATABASE_URL', async () => {
    const result = await cli('bootstrap.ts', [], { DATABASE_URL: '' });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/DATABASE_URL/);
  });
});
