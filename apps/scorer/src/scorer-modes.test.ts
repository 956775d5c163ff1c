// The other ways a run starts: --help, the real TLC month, backfill, the schedule, the launcher.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { createDbClient } from '@tripcast/db/client';
import { useMigratedTestDatabase } from '@tripcast/db/testing';
import { promoteModel, registerModel } from '@tripcast/model/store';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { parseScorerEnv } from './env';
import { launchRun, listScorableMonths, MonthNotInStoreError } from './launcher';
import { previousMonthOf } from './month';
import { getRunRecord } from '@tripcast/db/queries/runs';
import type { TScoreResult } from './score-month';
import { cliEnv, queryDuckDb, runCli, startCli } from './testing/cli-harness';
import { buildTestModel, TEST_MODEL, writeTestModel, writeTestMonth } from './testing/fixtures';
import { hasSharedData, sharedDataPath } from './testing/shared-data';

const suite = useMigratedTestDatabase();
let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tripcast-scorer-modes-'));
  const modelDir = await writeTestModel(path.join(dir, 'model'));
  for (const month of [1, 2]) {
    await writeTestMonth({
      file: path.join(dir, 'data', `green_tripdata_2021-0${month}.parquet`),
      rows: 600,
      year: 2021,
      month,
    });
  }
  env = cliEnv({
    DATABASE_URL: suite.url,
    OBJECT_STORE_URI: path.join(dir, 'store'),
    TRIPCAST_HOME: dir,
    MODEL_LOCATION: modelDir,
    INPUT_FILE_PATTERN: path.join(
      dir,
      'data',
      '{taxi_type}_tripdata_{year:04d}-{month:02d}.parquet',
    ),
  });
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('--help', () => {
  it('documents the commands, the course env equivalents and the container form', async () => {
    const top = await runCli(['--help'], env);
    expect(top.code).toBe(0);
    for (const text of [
      'run',
      'backfill',
      'schedule',
      'reap',
      'INPUT_FILE_PATTERN',
      'OUTPUT_FILE_PATTERN',
      'S3_ENDPOINT_URL',
      'DATABASE_URL',
      "'0 3 2 * *'",
      'DATE=2021-03-01',
    ]) {
      expect(top.stdout).toContain(text);
    }
    const run = await runCli(['run', '--help'], env);
    for (const flag of [
      '--taxi-type',
      '--year',
      '--month',
      '--date',
      '--input',
      '--output',
      '--rejects',
      '--model <name[@version]>',
      '--model-location',
      '--run-id',
      '--force',
      '--no-db',
      '{year:04d}',
    ]) {
      expect(run.stdout).toContain(flag);
    }
    const bad = await runCli(['run', '--year', '2021'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('give both --year and --month');
  });
});

describe.skipIf(!hasSharedData('green_tripdata_2021-01.parquet'))(
  `the real green 2021-01 month (${sharedDataPath('green_tripdata_2021-01.parquet')})`,
  () => {
    it('--validation strict scores every valid trip; counts agree with an independent SQL count of the same rules', async () => {
      const file = sharedDataPath('green_tripdata_2021-01.parquet');
      const out = await runCli(
        ['run', '--year', '2021', '--month', '1', '--input', file, '--no-db', '--validation', 'strict', '--json'],
        env,
      );
      expect(out.code, out.stderr).toBe(0);
      const result = JSON.parse(out.stdout) as TScoreResult;
      const [expected] =
        await queryDuckDb(`SELECT count(*)::INTEGER AS n FROM read_parquet('${file}')
        WHERE lpep_pickup_datetime >= TIMESTAMP '2021-01-01' AND lpep_pickup_datetime < TIMESTAMP '2021-02-01'
          AND lpep_dropoff_datetime IS NOT NULL AND PULocationID BETWEEN 1 AND 265 AND DOLocationID BETWEEN 1 AND 265
          AND trip_distance > 0 AND trip_distance <= 500
          AND date_diff('millisecond', lpep_pickup_datetime, lpep_dropoff_datetime) / 60000.0 BETWEEN 1 AND 60`);
      expect(result.rowsRead).toBe(76_518);
      expect(result.rowsScored).toBe(expected!.n);
      expect(result.rowsScored + result.rowsRejected).toBe(76_518);
      expect(result.summary.error.count).toBe(result.rowsScored);
    });
  },
);

describe('scorer backfill', () => {
  it('runs the months in order, goes on past a failed month, and exits 1 naming it', async () => {
    const out = await runCli(['backfill', '--from', '2020-12', '--to', '2021-02', '--json'], env);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('1 of 3 months failed: 2020-12');
    const outcomes = JSON.parse(out.stdout.split('\n')[0]!) as {
      month: string;
      runId: string;
      status: string;
      error?: string;
    }[];
    expect(outcomes.map((o) => [o.month, o.status])).toEqual([
      ['2020-12', 'failed'],
      ['2021-01', 'succeeded'],
      ['2021-02', 'succeeded'],
    ]);
    expect(outcomes[0]!.error).toMatch(/input not found: .*green_tripdata_2020-12\.parquet/);
    const records = await Promise.all(outcomes.map((o) => getRunRecord(suite.pool, o.runId)));
    // The missing month was refused before its run existed: no failed run left behind.
    expect(records[0]).toBeNull();
    expect(records.slice(1).map((r) => r!.trigger)).toEqual(['backfill', 'backfill']);
    expect(new Set(records.slice(1).map((r) => r!.backfillId)).size).toBe(1);
    expect(records[1]!.backfillId).toMatch(/^backfill-/);
    expect(records[1]!.rowsRead).toBe(600);
  });
});

describe('scorer schedule', () => {
  it('reaps a stale run at start, scores the previous month with a fixed run id, and stops on SIGTERM', async () => {
    await suite.pool.query(
      `INSERT INTO batch_runs (id, taxi_type, year, month, input_uri, trigger, status, heartbeat_at, started_at)
       VALUES ('stale-1', 'green', 2021, 1, 'x', 'manual', 'running', now() - interval '1 hour', now() - interval '1 hour')`,
    );
    const previous = previousMonthOf(new Date());
    const runId = `green-${previous.year}-${String(previous.month).padStart(2, '0')}-scheduled`;
    // The input pattern has no month in it: the schedule's month has no real file here.
    const { child, done } = startCli(
      [
        'schedule',
        '--run-now',
        '--input',
        path.join(dir, 'data', 'green_tripdata_2021-01.parquet'),
      ],
      env,
    );
    // Generous: under a loaded CI machine the child's start-up (tsx, DuckDB, onnxruntime) alone can take tens of seconds.
    const deadline = Date.now() + 100_000;
    let record = await getRunRecord<TScoreResult['summary']>(suite.pool, runId);
    while (record?.status !== 'succeeded' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      record = await getRunRecord<TScoreResult['summary']>(suite.pool, runId);
    }
    child.kill('SIGTERM');
    const exit = await done;
    expect(exit.code).toBe(0);
    expect(record?.status).toBe('succeeded');
    expect(record?.trigger).toBe('schedule');
    expect([record?.year, record?.month]).toEqual([previous.year, previous.month]);
    // Every trip of the January file is outside the scheduled month: read, scored as the course
    // would, and flagged for it.
    expect(record?.rowsRead).toBe(600);
    expect(record?.summary?.anomaliesByReason?.pickup_outside_month).toBeGreaterThan(500);
    const stale = (await getRunRecord(suite.pool, 'stale-1'))!;
    expect(stale.status).toBe('failed');
    expect(stale.error).toMatch(/heartbeat stopped/);
  }, 150_000);
});

describe('launchRun (the console API), local mode', () => {
  it('creates the queued record and starts a detached scorer that completes it', async () => {
    const launched = await launchRun(
      { taxiType: 'green', year: 2021, month: 2, requestedBy: 'analyst@example.com' },
      { env: parseScorerEnv(env), pool: suite.pool, processEnv: env, audit: { action: 'run.trigger', details: { month: 2 } } },
    );
    expect(launched.mode).toBe('local');
    // The audit row the console's trigger asks for: who, what, which run.
    const { rows: audit } = await suite.pool.query<{ actor: string; details: unknown }>(
      "SELECT actor, details FROM audit_log WHERE action = 'run.trigger' AND target_type = 'batch_run' AND target_id = $1",
      [launched.runId],
    );
    expect(audit).toEqual([{ actor: 'analyst@example.com', details: { month: 2 } }]);
    const first = (await getRunRecord(suite.pool, launched.runId))!;
    expect(['queued', 'running', 'succeeded']).toContain(first.status);
    expect(first.trigger).toBe('manual');
    // Generous: under a loaded CI machine the child's start-up (tsx, DuckDB, onnxruntime) alone can take tens of seconds.
    const deadline = Date.now() + 100_000;
    let record = first;
    while (record.status !== 'succeeded' && record.status !== 'failed' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      record = (await getRunRecord(suite.pool, launched.runId))!;
    }
    expect(record.status, record.error ?? '').toBe('succeeded');
    expect(record.rowsRead).toBe(600);
    expect(existsSync(record.outputUri!)).toBe(true);
    // The child's output goes to its log file (it prints its result after completing the record).
    if (launched.mode === 'local') expect(existsSync(launched.logFile)).toBe(true);
    await expect(
      launchRun({ taxiType: 'green', year: 2021, month: 13 }, { env: parseScorerEnv(env), pool: suite.pool }),
    ).rejects.toThrow(/month/);
  });

  it('lists the months of the store (Parquet and CSV) and refuses one it lacks before any record exists', async () => {
    const storeEnv: NodeJS.ProcessEnv = { ...env, OBJECT_STORE_URI: path.join(dir, 'store-months') };
    delete storeEnv.INPUT_FILE_PATTERN;
    const tripData = path.join(dir, 'store-months', 'trip-data');
    await writeTestMonth({ file: path.join(tripData, 'green_tripdata_2021-01.parquet'), rows: 10, year: 2021, month: 1 });
    await queryDuckDb(
      `COPY (SELECT * FROM read_parquet('${path.join(tripData, 'green_tripdata_2021-01.parquet')}')) TO '${path.join(tripData, 'yellow_tripdata_2020-12.csv.gz')}' (HEADER)`,
    );
    await writeFile(path.join(tripData, 'notes.txt'), 'not a month');
    const scorerEnv = parseScorerEnv(storeEnv);
    const { months, tripDataUri } = await listScorableMonths({ env: scorerEnv });
    expect(tripDataUri).toBe(tripData);
    expect(months.map((m) => [m.taxiType, m.year, m.month, path.basename(m.uri)])).toEqual([
      ['green', 2021, 1, 'green_tripdata_2021-01.parquet'],
      ['yellow', 2020, 12, 'yellow_tripdata_2020-12.csv.gz'],
    ]);
    const before = await suite.pool.query('SELECT count(*)::int AS n FROM batch_runs');
    const refused = launchRun({ taxiType: 'green', year: 2021, month: 5 }, { env: scorerEnv, pool: suite.pool });
    await expect(refused).rejects.toBeInstanceOf(MonthNotInStoreError);
    await expect(refused).rejects.toThrow(`no trip data for green 2021-05 in the store: put green_tripdata_2021-05.parquet`);
    const after = await suite.pool.query('SELECT count(*)::int AS n FROM batch_runs');
    expect(after.rows[0]).toEqual(before.rows[0]);
  });
});

describe('model from the registry', () => {
  it('scores with the production version by default, a named version with --model, and fails naming an unknown one', async () => {
    const prisma = createDbClient(suite.url);
    try {
      const storeUri = path.join(dir, 'store');
      for (const version of ['reg-1', 'reg-2']) {
        const { onnx, card } = buildTestModel(version);
        await registerModel({ db: prisma, storeUri, onnx, card, actor: 'test' });
      }
      await promoteModel(prisma, { name: TEST_MODEL.name, version: 'reg-1', actor: 'test' });
    } finally {
      await prisma.$disconnect();
    }
    const registryEnv = { ...env, MODEL_LOCATION: undefined };
    delete registryEnv.MODEL_LOCATION;
    const common = ['run', '--year', '2021', '--month', '1', '--json'];
    const production = await runCli(common, registryEnv);
    expect(production.code, production.stderr).toBe(0);
    expect((JSON.parse(production.stdout) as TScoreResult).modelVersion).toBe('reg-1');
    const named = await runCli([...common, '--model', `${TEST_MODEL.name}@reg-2`], registryEnv);
    expect(named.code, named.stderr).toBe(0);
    expect((JSON.parse(named.stdout) as TScoreResult).modelVersion).toBe('reg-2');
    const unknown = await runCli([...common, '--model', `${TEST_MODEL.name}@nope`], registryEnv);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(
      `model failed to load: model ${TEST_MODEL.name}@nope is not in the registry`,
    );
  });
});
