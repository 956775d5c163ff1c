// End to end through the real CLI: a real Postgres (migrated), real onnxruntime, real Parquet,
// s3rver for s3://. Each test reads the outputs back and checks values a bug would change.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { useMigratedTestDatabase } from '@tripcast/db/testing';
import {
  createS3Client,
  createTestBucket,
  getTestAws,
} from '@tripcast/local-stack/testing';
import { REJECT_REASON_TEXT } from '@tripcast/model/trips';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { cliEnv, COURSE_COLUMNS, queryDuckDb, runCli, sqlString as sql, startCli } from './testing/cli-harness';
import {
  DIRTY_RULES,
  expectedCounts,
  expectedPrediction,
  TEST_MODEL,
  writeTestModel,
  writeTestMonth,
} from './testing/fixtures';
import { getRunRecord, reapStaleRuns } from '@tripcast/db/queries/runs';
import type { TScoreResult } from './score-month';

const ROWS = 5_000;
const suite = useMigratedTestDatabase();
let dir: string;
let modelDir: string;
let monthFile: string;
let baseEnv: NodeJS.ProcessEnv;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tripcast-scorer-test-'));
  modelDir = await writeTestModel(path.join(dir, 'model'));
  monthFile = path.join(dir, 'data', 'green_tripdata_2021-02.parquet');
  await writeTestMonth({ file: monthFile, rows: ROWS, year: 2021, month: 2 });
  baseEnv = cliEnv({
    DATABASE_URL: suite.url,
    OBJECT_STORE_URI: path.join(dir, 'store'),
    MODEL_LOCATION: modelDir,
  });
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});


async function dbRowsOf(runId: string): Promise<{ count: number; sum: number } | null> {
  const { rows } = await suite.pool.query<{ count: string; sum: number | null }>(
    `SELECT count(*) AS count, sum(p.predicted_duration::float8) AS sum FROM batch_predictions p JOIN batch_runs r ON r.key = p.run_key WHERE r.id = $1`,
    [runId],
  );
  return rows[0] ? { count: Number(rows[0].count), sum: rows[0].sum ?? 0 } : null;
}

describe('scorer run on a generated month with dirty rows', () => {
  let result: TScoreResult;

  beforeAll(async () => {
    const out = await runCli(
      [
        'run',
        '--taxi-type',
        'green',
        '--year',
        '2021',
        '--month',
        '2',
        '--input',
        monthFile,
        '--run-id',
        'dirty-1',
        // Today's stricter policy; the course policy (the default) is tested below on the same month.
        '--validation',
        'strict',
        '--json',
      ],
      baseEnv,
    );
    expect(out.stderr).not.toMatch(/"level":50/);
    expect(out.code).toBe(0);
    result = JSON.parse(out.stdout) as TScoreResult;
  });

  it('counts exactly the rows read, scored and rejected, by reason', () => {
    const expected = expectedCounts(ROWS);
    expect(result.rowsRead).toBe(ROWS);
    expect(result.rowsScored).toBe(expected.scored);
    expect(result.rowsRejected).toBe(expected.rejected);
    expect(result.summary.rejectsByReason).toEqual(expected.byReason);
    expect(result.outputUri).toBe(
      path.join(
        dir,
        'store',
        'predictions',
        'taxi_type=green',
        'year=2021',
        'month=02',
        'dirty-1.parquet',
      ),
    );
  });

  it('writes the course columns with their types, the homework ride_id and the model predictions', async () => {
    const schema = await queryDuckDb(
      `DESCRIBE SELECT * FROM read_parquet(${sql(result.outputUri)}, hive_partitioning = false)`,
    );
    expect(schema.map((c) => [c.column_name, c.column_type])).toEqual(COURSE_COLUMNS);
    // What any Parquet reader (pandas, Spark) sees: model_version, written from a one-value ENUM
    // (constantStringSql), is a plain UTF8 string column like ride_id.
    const physical = await queryDuckDb(
      `SELECT name, type, converted_type FROM parquet_schema(${sql(result.outputUri)}) WHERE name IN ('ride_id', 'model_version')`,
    );
    expect(physical).toEqual([
      { name: 'ride_id', type: 'BYTE_ARRAY', converted_type: 'UTF8' },
      { name: 'model_version', type: 'BYTE_ARRAY', converted_type: 'UTF8' },
    ]);
    const rows = await queryDuckDb(
      `SELECT o.*, i.trip_distance, i.file_row_number AS idx FROM read_parquet(${sql(result.outputUri)}, hive_partitioning = false) o
       JOIN read_parquet(${sql(monthFile)}, file_row_number = true) i ON o.ride_id = '2021/02_' || i.file_row_number
       ORDER BY idx`,
    );
    expect(rows).toHaveLength(expectedCounts(ROWS).scored);
    for (const row of rows) {
      const idx = Number(row.idx);
      expect(DIRTY_RULES[(idx % 50) as keyof typeof DIRTY_RULES]).toBeUndefined();
      expect(row.ride_id).toBe(`2021/02_${idx}`);
      expect(row.predicted_duration as number).toBeCloseTo(
        expectedPrediction(row.PULocationID as number, row.trip_distance as number),
        3,
      );
      expect(row.actual_duration).toBe(2 + (idx % 40));
      expect(row.diff as number).toBeCloseTo(
        (row.actual_duration as number) - (row.predicted_duration as number),
        9,
      );
      expect(row.model_version).toBe(TEST_MODEL.version);
    }
  });

  it('keeps every rejected row with its reason in the rejects file', async () => {
    const rejects = await queryDuckDb(
      `SELECT row_index, reason, reason_text, PULocationID FROM read_parquet(${sql(result.rejectsUri)}) ORDER BY row_index`,
    );
    expect(rejects).toHaveLength(expectedCounts(ROWS).rejected);
    for (const row of rejects) {
      const reason = DIRTY_RULES[(Number(row.row_index) % 50) as keyof typeof DIRTY_RULES];
      expect(row.reason).toBe(reason);
      expect(row.reason_text).toBe(REJECT_REASON_TEXT[reason]);
    }
    // Written from ENUM codes, read by any Parquet reader as plain UTF8 strings.
    const physical = await queryDuckDb(
      `SELECT name, type, converted_type FROM parquet_schema(${sql(result.rejectsUri)}) WHERE name LIKE 'reason%'`,
    );
    expect(physical).toEqual([
      { name: 'reason', type: 'BYTE_ARRAY', converted_type: 'UTF8' },
      { name: 'reason_text', type: 'BYTE_ARRAY', converted_type: 'UTF8' },
    ]);
  });

  it('records the run: succeeded, counts, model version, statistics matching the Parquet', async () => {
    const record = (await getRunRecord<TScoreResult['summary']>(suite.pool, 'dirty-1'))!;
    expect(record.status).toBe('succeeded');
    expect(record.progress).toBe(1);
    expect([record.rowsRead, record.rowsScored, record.rowsRejected]).toEqual([
      ROWS,
      result.rowsScored,
      result.rowsRejected,
    ]);
    expect(record.modelVersion).toBe(TEST_MODEL.version);
    expect(record.trigger).toBe('cli');
    expect(record.finishedAt!.getTime()).toBeGreaterThanOrEqual(record.startedAt!.getTime());
    const [stats] = await queryDuckDb(
      `SELECT avg(predicted_duration) AS mean, sqrt(avg(diff * diff)) AS rmse, avg(abs(diff)) AS mae FROM read_parquet(${sql(result.outputUri)}, hive_partitioning = false)`,
    );
    const summary = record.summary!;
    expect(summary.predicted.mean).toBeCloseTo(stats!.mean as number, 3);
    expect(summary.error.rmse).toBeCloseTo(stats!.rmse as number, 3);
    expect(summary.error.mae).toBeCloseTo(stats!.mae as number, 3);
    expect(summary.histogram.reduce((n, b) => n + b.count, 0)).toBe(result.rowsScored);
    expect(summary.predicted.p50).not.toBeNull();
    expect(summary.predicted.p95!).toBeGreaterThan(summary.predicted.p50!);
  });

  it('puts the same rows in Postgres as in the Parquet', async () => {
    const rows = await dbRowsOf('dirty-1');
    const [parquet] = await queryDuckDb(
      `SELECT count(*)::INTEGER AS n, sum(predicted_duration::FLOAT)::DOUBLE AS s FROM read_parquet(${sql(result.outputUri)}, hive_partitioning = false)`,
    );
    expect(rows!.count).toBe(parquet!.n);
    expect(rows!.sum).toBeCloseTo(parquet!.s as number, 0);
    // Row by row on a sample: same ride_id, times, zones and predictions.
    const { rows: sample } = await suite.pool.query<{
      ride_id: string;
      pickup: string;
      pu: number;
      do: number;
      predicted: number;
      actual: number;
    }>(
      `SELECT ride_id, to_char(pickup_datetime, 'YYYY-MM-DD HH24:MI:SS') AS pickup, pu_location_id AS pu, do_location_id AS do,
              predicted_duration AS predicted, actual_duration AS actual
       FROM batch_predictions p JOIN batch_runs r ON r.key = p.run_key WHERE r.id = 'dirty-1' ORDER BY row_index LIMIT 200`,
    );
    const fileRows = await queryDuckDb(
      `SELECT ride_id, strftime(pickup_datetime, '%Y-%m-%d %H:%M:%S') AS pickup, PULocationID AS pu, DOLocationID AS do,
              predicted_duration AS predicted, actual_duration AS actual
       FROM read_parquet(${sql(result.outputUri)}, hive_partitioning = false) ORDER BY CAST(substr(ride_id, 9) AS INTEGER) LIMIT 200`,
    );
    expect(sample.map((r) => [r.ride_id, r.pickup, r.pu, r.do])).toEqual(
      fileRows.map((r) => [r.ride_id, r.pickup, r.pu, r.do]),
    );
    sample.forEach((r, i) => {
      expect(r.predicted).toBeCloseTo(fileRows[i]!.predicted as number, 4);
      expect(r.actual).toBeCloseTo(fileRows[i]!.actual as number, 4);
    });
  });
});

describe('scorer run, course policy (the default), on the same dirty month', () => {
  let result: TScoreResult;
  beforeAll(async () => {
    const out = await runCli(['run', '-y', '2021', '-M', '2', '--input', monthFile, '--run-id', 'course-1', '--json'], baseEnv);
    expect(out.code, out.stderr).toBe(0);
    result = JSON.parse(out.stdout) as TScoreResult;
  });

  it('scores zero distances and pickups outside the month, flags them, rejects only what cannot be scored', () => {
    const strict = expectedCounts(ROWS);
    const zero = strict.byReason.non_positive_distance!;
    const outside = strict.byReason.pickup_outside_month!;
    expect(result.summary.validation).toBe('course');
    expect(result.rowsScored).toBe(strict.scored + zero + outside);
    expect(result.rowsScored).toBe(expectedCounts(ROWS, { policy: 'course' }).scored);
    expect(result.summary.rejectsByReason).toEqual({
      null_zone: strict.byReason.null_zone,
      zone_out_of_range: strict.byReason.zone_out_of_range,
      duration_out_of_range: strict.byReason.duration_out_of_range,
      missing_dropoff_datetime: strict.byReason.missing_dropoff_datetime,
    });
    expect(result.summary.anomaliesByReason).toEqual({ zero_distance: zero, pickup_outside_month: outside });
  });

  it('flags exactly those rows in Postgres (column anomaly) and keeps every row\'s distance', async () => {
    const { rows } = await suite.pool.query<{ row_index: number; anomaly: string | null; trip_distance: number | null }>(
      `SELECT row_index, anomaly, trip_distance FROM batch_predictions p JOIN batch_runs r ON r.key = p.run_key
       WHERE r.id = 'course-1' ORDER BY row_index`,
    );
    expect(rows).toHaveLength(result.rowsScored);
    const input = await queryDuckDb(`SELECT file_row_number AS idx, trip_distance FROM read_parquet(${sql(monthFile)}, file_row_number = true)`);
    const distanceOf = new Map(input.map((r) => [Number(r.idx), r.trip_distance as number]));
    for (const row of rows) {
      const k = row.row_index % 50;
      expect(row.anomaly, `row ${row.row_index}`).toBe(k === 3 ? 'zero_distance' : k === 5 ? 'pickup_outside_month' : null);
      expect(row.trip_distance!).toBeCloseTo(distanceOf.get(row.row_index)!, 4);
    }
  });

  it('reads a TLC CSV month (.csv.gz) to the same rows as its Parquet', async () => {
    const csv = path.join(dir, 'data', 'green_tripdata_2021-02.csv.gz');
    await queryDuckDb(`COPY (SELECT * FROM read_parquet(${sql(monthFile)})) TO ${sql(csv)} (HEADER, COMPRESSION gzip)`);
    const out = await runCli(['run', '-y', '2021', '-M', '2', '--input', csv, '--no-db', '--json'], baseEnv);
    expect(out.code, out.stderr).toBe(0);
    const fromCsv = JSON.parse(out.stdout) as TScoreResult;
    expect([fromCsv.rowsRead, fromCsv.rowsScored, fromCsv.rowsRejected]).toEqual([result.rowsRead, result.rowsScored, result.rowsRejected]);
    expect(fromCsv.summary.rejectsByReason).toEqual(result.summary.rejectsByReason);
    const [diff] = await queryDuckDb(
      `SELECT count(*)::INTEGER AS n FROM (SELECT ride_id, PULocationID, DOLocationID, actual_duration, predicted_duration FROM read_parquet(${sql(fromCsv.outputUri)})
       EXCEPT SELECT ride_id, PULocationID, DOLocationID, actual_duration, predicted_duration FROM read_parquet(${sql(result.outputUri)}, hive_partitioning = false))`,
    );
    expect(diff!.n).toBe(0);
  });
});

describe('scorer run failures name their cause, in the exit and in the record', () => {
  it.each([
    [
      'missing input',
      () => path.join(dir, 'nope.parquet'),
      null,
      /input not found: .*nope\.parquet/,
    ],
    [
      'unreadable file',
      async () => {
        const file = path.join(dir, 'garbage.parquet');
        await writeFile(file, 'this is not parquet');
        return file;
      },
      null,
      /is not a readable Parquet file/,
    ],
    ['model that fails to load', () => monthFile, 'no-model', /model failed to load: .*no-model/],
  ])('%s', async (name, makeInput, modelLocation, expected) => {
    const runId = `fail-${name.replaceAll(' ', '-')}`;
    const input = await makeInput();
    const out = await runCli(
      [
        'run',
        '--year',
        '2021',
        '--month',
        '2',
        '--input',
        input,
        '--run-id',
        runId,
        ...(modelLocation ? ['--model-location', path.join(dir, modelLocation)] : []),
      ],
      baseEnv,
    );
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(expected);
    if (name === 'missing input') {
      // Refused before the run exists: a typo leaves no failed run behind.
      expect(await getRunRecord(suite.pool, runId)).toBeNull();
      return;
    }
    const record = (await getRunRecord(suite.pool, runId))!;
    expect(record.status).toBe('failed');
    expect(record.error).toMatch(expected);
  });
});

describe('s3:// input and output (s3rver)', () => {
  it('downloads the month, writes predictions and rejects to S3 without temp keys left', async () => {
    const bucket = await createTestBucket();
    const s3 = createS3Client();
    const aws = getTestAws();
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'trip-data/green_tripdata_2021-02.parquet',
        Body: await import('node:fs/promises').then((f) => f.readFile(monthFile)),
      }),
    );
    const env = cliEnv({
      DATABASE_URL: suite.url,
      OBJECT_STORE_URI: `s3://${bucket}`,
      MODEL_LOCATION: modelDir,
      S3_ENDPOINT_URL: aws.s3.endpoint,
      AWS_ACCESS_KEY_ID: aws.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: aws.credentials.secretAccessKey,
      AWS_REGION: aws.region,
      INPUT_FILE_PATTERN: `s3://${bucket}/trip-data/{taxi_type}_tripdata_{year:04d}-{month:02d}.parquet`,
      OUTPUT_FILE_PATTERN: `s3://${bucket}/out/`,
      DATE: '2021-03-01',
    });
    const out = await runCli(['run', '--run-id', 's3-1', '--json'], env);
    expect(out.code, out.stderr).toBe(0);
    const result = JSON.parse(out.stdout) as TScoreResult;
    expect(result.outputUri).toBe(
      `s3://${bucket}/out/taxi_type=green/year=2021/month=02/s3-1.parquet`,
    );
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    const keys = (listed.Contents ?? []).map((o) => o.Key).sort();
    expect(keys).toEqual([
      'out/taxi_type=green/year=2021/month=02/s3-1.parquet',
      'rejects/taxi_type=green/year=2021/month=02/s3-1.parquet',
      'trip-data/green_tripdata_2021-02.parquet',
    ]);
    const body = await s3.send(
      new GetObjectCommand({
        Bucket: bucket,
        Key: 'out/taxi_type=green/year=2021/month=02/s3-1.parquet',
      }),
    );
    const local = path.join(dir, 's3-out.parquet');
    const bytes = await body.Body!.transformToByteArray();
    expect(bytes.length).toBe(body.ContentLength);
    expect(Buffer.from(bytes.subarray(-4)).toString()).toBe('PAR1');
    await writeFile(local, bytes);
    const [count] = await queryDuckDb(
      `SELECT count(*)::INTEGER AS n FROM read_parquet(${sql(local)})`,
    );
    expect(count!.n).toBe(expectedCounts(ROWS, { policy: 'course' }).scored);
  });
});

describe('kill -9 mid-run, then rerun', () => {
  const BIG = 800_000;
  let bigFile: string;

  beforeAll(async () => {
    bigFile = path.join(dir, 'big', 'green_tripdata_2021-03.parquet');
    await writeTestMonth({ file: bigFile, rows: BIG, year: 2021, month: 3 });
  }, 120_000);

  it('leaves no output, is reaped as failed when its heartbeat stops, and a rerun equals an uninterrupted run', async () => {
    // Its own TMPDIR: scratch folders are checked below, and other test runs may use the same run ids.
    const tmp = path.join(dir, 'tmp');
    await mkdir(tmp, { recursive: true });
    const env = { ...baseEnv, SCORER_HEARTBEAT_MS: '50', TMPDIR: tmp };
    const args = (runId: string) => [
      'run',
      '--year',
      '2021',
      '--month',
      '3',
      '--input',
      bigFile,
      '--run-id',
      runId,
    ];
    const { child, done } = startCli(args('kill-1'), env);
    // Kill once the scorer reports progress: mid-scoring, before anything is published.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const record = await getRunRecord(suite.pool, 'kill-1');
      if (record?.status === 'running' && record.progress > 0 && record.progress < 0.8) break; // still scoring
      if (record?.status === 'succeeded' || Date.now() > deadline)
        throw new Error(`never caught kill-1 mid-run: ${record?.status}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGKILL');
    const killed = await done;
    expect(killed.signal).toBe('SIGKILL');

    const outDir = path.join(
      dir,
      'store',
      'predictions',
      'taxi_type=green',
      'year=2021',
      'month=03',
    );
    expect(existsSync(path.join(outDir, 'kill-1.parquet'))).toBe(false);
    expect((await getRunRecord(suite.pool, 'kill-1'))!.status).toBe('running');

    // The heartbeat stopped: the reaper fails it (staleness 0 ms here instead of the default minute).
    await new Promise((r) => setTimeout(r, 100));
    expect(await reapStaleRuns(suite.pool, { staleAfterMs: 50 })).toContain('kill-1');
    const reaped = (await getRunRecord(suite.pool, 'kill-1'))!;
    expect(reaped.status).toBe('failed');
    expect(reaped.error).toMatch(/heartbeat stopped/);

    const leftovers = async () =>
      (await readdir(tmp)).filter((n) => n.startsWith('tripcast-score-kill-1-'));
    expect((await leftovers()).length).toBeGreaterThan(0); // kill -9 cleaned nothing up
    const rerun = await runCli([...args('kill-1'), '--json'], env);
    expect(rerun.code, rerun.stderr).toBe(0);
    const clean = await runCli([...args('clean-1'), '--json'], env);
    expect(clean.code, clean.stderr).toBe(0);

    const a = path.join(outDir, 'kill-1.parquet');
    const b = path.join(outDir, 'clean-1.parquet');
    const [diff] = await queryDuckDb(
      `SELECT (SELECT count(*) FROM read_parquet(${sql(a)}, hive_partitioning = false))::INTEGER AS na, (SELECT count(*) FROM read_parquet(${sql(b)}, hive_partitioning = false))::INTEGER AS nb,
              (SELECT count(*) FROM (SELECT * FROM read_parquet(${sql(a)}, hive_partitioning = false) EXCEPT ALL SELECT * FROM read_parquet(${sql(b)}, hive_partitioning = false)))::INTEGER AS only_a,
              (SELECT count(*) FROM (SELECT * FROM read_parquet(${sql(b)}, hive_partitioning = false) EXCEPT ALL SELECT * FROM read_parquet(${sql(a)}, hive_partitioning = false)))::INTEGER AS only_b`,
    );
    expect(diff).toEqual({ na: expect.any(Number) as number, nb: diff!.na, only_a: 0, only_b: 0 });
    expect(diff!.na).toBeGreaterThan(BIG * 0.8);
    expect((await readdir(outDir)).sort()).toEqual(['clean-1.parquet', 'kill-1.parquet']);
    const [dbA, dbB] = [await dbRowsOf('kill-1'), await dbRowsOf('clean-1')];
    expect(await leftovers()).toEqual([]); // the rerun removed the killed attempt's scratch
    expect(dbA!.count).toBe(diff!.na);
    expect(dbA!.count).toBe(dbB!.count);
    expect(dbA!.sum).toBeCloseTo(dbB!.sum, 3);
    const record = (await getRunRecord(suite.pool, 'kill-1'))!;
    expect(record.status).toBe('succeeded');
    expect(record.error).toBeNull();
  }, 150_000);
});
