// Course parity ("hidden-month style" check): on the real shared green months, the scorer's default
// (course) policy scores exactly the rows the course's score.py keeps, 1 <= duration <= 60 min,
// counted here independently with DuckDB SQL over the file, and writes the course's columns
// unchanged. The anomalies it flags are counted against the same SQL.
import os from 'node:os';
import path from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { cliEnv, COURSE_COLUMNS, queryDuckDb, runCli, sqlString as sql } from './testing/cli-harness';
import { writeTestModel } from './testing/fixtures';
import { hasSharedData, sharedDataPath } from './testing/shared-data';
import type { TScoreResult } from './score-month';

const MONTHS = [
  { year: 2021, month: 1 },
  { year: 2021, month: 3 },
  { year: 2023, month: 3 },
  { year: 2024, month: 1 },
];

let dir: string;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tripcast-parity-'));
  env = cliEnv({ OBJECT_STORE_URI: path.join(dir, 'store'), MODEL_LOCATION: await writeTestModel(path.join(dir, 'model')) });
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.each(MONTHS)('green $year-$month', ({ year, month }) => {
  const name = `green_tripdata_${year}-${String(month).padStart(2, '0')}.parquet`;
  const file = sharedDataPath(name);
  it.skipIf(!hasSharedData(name))(`scores the course's rows, with the course's columns (${file})`, async () => {
    const out = await runCli(['run', '--year', String(year), '--month', String(month), '--input', file, '--no-db', '--json'], env);
    expect(out.code, out.stderr).toBe(0);
    const result = JSON.parse(out.stdout) as TScoreResult;

    // The course's read_data: duration = (dropoff - pickup) in minutes, kept when 1 <= duration <= 60.
    const course = `SELECT file_row_number AS idx, trip_distance, lpep_pickup_datetime AS pickup
      FROM read_parquet(${sql(file)}, file_row_number = true)
      WHERE date_diff('microsecond', lpep_pickup_datetime, lpep_dropoff_datetime) / 60e6 BETWEEN 1 AND 60`;
    const monthStart = `TIMESTAMP '${year}-${String(month).padStart(2, '0')}-01'`;
    const [expected] = await queryDuckDb(
      `SELECT count(*)::INTEGER AS n,
              count(*) FILTER (WHERE trip_distance = 0)::INTEGER AS zero_distance,
              count(*) FILTER (WHERE trip_distance > 500)::INTEGER AS distance_too_large,
              count(*) FILTER (WHERE pickup < ${monthStart} OR pickup >= ${monthStart} + INTERVAL 1 MONTH)::INTEGER AS outside
       FROM (${course})`,
    );
    expect(result.summary.validation).toBe('course');
    expect(result.rowsScored).toBe(expected!.n);
    // The same rows, not only as many: no course row missing from the output.
    const [missing] = await queryDuckDb(
      `SELECT count(*)::INTEGER AS n FROM (${course}) c
       ANTI JOIN read_parquet(${sql(result.outputUri)}, hive_partitioning = false) o ON o.ride_id = '${year}/${String(month).padStart(2, '0')}_' || c.idx`,
    );
    expect(missing!.n).toBe(0);
    const schema = await queryDuckDb(`DESCRIBE SELECT * FROM read_parquet(${sql(result.outputUri)}, hive_partitioning = false)`);
    expect(schema.map((c) => [c.column_name, c.column_type])).toEqual(COURSE_COLUMNS);
    // Anomalies are scored and counted by reason, not rejected.
    const flagged = {
      zero_distance: expected!.zero_distance,
      distance_too_large: expected!.distance_too_large,
      pickup_outside_month: expected!.outside,
    };
    expect(result.summary.anomaliesByReason).toEqual(Object.fromEntries(Object.entries(flagged).filter(([, n]) => (n as number) > 0)));
    expect(result.summary.anomaliesByReason.zero_distance).toBeGreaterThan(1000);
  });
});
