// Test fixtures: a real ONNX model with known coefficients, and a synthetic TLC month with
// dirty rows whose expected counts are known exactly (so a test can fail on one row).
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { DuckDBInstance } from '@duckdb/node-api';
import { buildLinearPairModel, PAIR_TABLE_SIZE } from '@tripcast/model/onnx';
import { sha256Hex } from '@tripcast/model/runtime';

export const TEST_MODEL = {
  name: 'ride_duration_prediction_model',
  version: 'test-1',
  intercept: 5,
  distanceCoefficient: 3,
};

/** Model: duration = 5 + 3 * distance + (PU % 7) (the pair term depends on PU only, easy to recompute). */
export function expectedPrediction(pu: number, distance: number): number {
  return TEST_MODEL.intercept + TEST_MODEL.distanceCoefficient * distance + (pu % 7);
}

/** `intercept` shifts every prediction (a challenger that answers `intercept - 5` minutes longer). */
export function buildTestModel(
  version = TEST_MODEL.version,
  { intercept = TEST_MODEL.intercept } = {},
) {
  const pairCoefficients = new Float64Array(PAIR_TABLE_SIZE);
  for (let pu = 1; pu <= 265; pu++)
    for (let d = 1; d <= 265; d++) pairCoefficients[pu * 266 + d] = pu % 7;
  const onnx = buildLinearPairModel({
    pairCoefficients,
    distanceCoefficient: TEST_MODEL.distanceCoefficient,
    intercept,
  });
  const card = {
    schemaVersion: 1 as const,
    name: TEST_MODEL.name,
    version,
    createdAt: new Date().toISOString(),
    sha256: sha256Hex(onnx),
    inputs: [
      {
        name: 'pair_index',
        feature: 'pair_index' as const,
        type: 'int32' as const,
        isColumn: false,
      },
      {
        name: 'trip_distance',
        feature: 'trip_distance' as const,
        type: 'float32' as const,
        isColumn: false,
      },
    ],
    output: { name: 'duration', unit: 'minutes' as const },
    metrics: {},
  };
  return { onnx, card };
}

export async function writeTestModel(
  dir: string,
  version = TEST_MODEL.version,
  options: { intercept?: number } = {},
): Promise<string> {
  const { onnx, card } = buildTestModel(version, options);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'model.onnx'), onnx);
  await writeFile(path.join(dir, 'card.json'), JSON.stringify(card));
  return dir;
}

/**
 * A green month of `rows` rows in which row i is dirty in a known way:
 * i % 50 == 1 null PU, == 2 PU 300, == 3 distance 0, == 4 duration 90 min, == 5 pickup in the
 * previous month, == 6 null dropoff time. Everything else is clean (duration 2..41 min).
 */
export const DIRTY_RULES = {
  1: 'null_zone',
  2: 'zone_out_of_range',
  3: 'non_positive_distance',
  4: 'duration_out_of_range',
  5: 'pickup_outside_month',
  6: 'missing_dropoff_datetime',
} as const;

export async function writeTestMonth(options: {
  file: string;
  rows: number;
  year: number;
  month: number;
  taxiType?: 'green' | 'yellow';
}): Promise<void> {
  const prefix = options.taxiType === 'yellow' ? 'tpep' : 'lpep';
  const start = `TIMESTAMP '${options.year}-${String(options.month).padStart(2, '0')}-01 00:00:00'`;
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  await mkdir(path.dirname(options.file), { recursive: true });
  await connection.run(`COPY (
    WITH base AS (SELECT range AS i, range % 50 AS k FROM range(${options.rows})),
    t AS (SELECT i, k,
      CASE WHEN k = 5 THEN ${start} - INTERVAL 1 HOUR ELSE ${start} + to_seconds((i * 7) % (27 * 86400)) END AS pickup,
      CASE WHEN k = 4 THEN 90 ELSE 2 + (i % 40) END AS minutes
      FROM base)
    SELECT 2::BIGINT AS VendorID,
      pickup AS ${prefix}_pickup_datetime,
      CASE WHEN k = 6 THEN NULL ELSE pickup + to_minutes(minutes::BIGINT) END AS ${prefix}_dropoff_datetime,
      'N' AS store_and_fwd_flag, 1.0 AS RatecodeID,
      CASE WHEN k = 1 THEN NULL WHEN k = 2 THEN 300 ELSE 1 + (i * 13) % 265 END::BIGINT AS PULocationID,
      (1 + (i * 17) % 265)::BIGINT AS DOLocationID,
      1.0 AS passenger_count,
      CASE WHEN k = 3 THEN 0.0 ELSE round(0.5 + (i % 100) / 10.0, 2) END AS trip_distance,
      12.5 AS fare_amount
    FROM t ORDER BY i
  ) TO '${options.file}' (FORMAT parquet)`);
  connection.closeSync();
  instance.closeSync();
}

/** Under the course validation policy these rules are scored (and flagged), not rejected. */
const COURSE_SCORED_RULES: ReadonlySet<string> = new Set([
  'non_positive_distance',
  'pickup_outside_month',
]);

/** Expected counts for writeTestMonth(rows), under the strict policy or the course one (the default's). */
export function expectedCounts(
  rows: number,
  options: { policy?: 'strict' | 'course' } = {},
): { scored: number; rejected: number; byReason: Record<string, number> } {
  const byReason: Record<string, number> = {};
  let rejected = 0;
  for (let i = 0; i < rows; i++) {
    const reason = DIRTY_RULES[(i % 50) as keyof typeof DIRTY_RULES] as string | undefined;
    if (reason && !(options.policy === 'course' && COURSE_SCORED_RULES.has(reason))) {
      byReason[reason] = (byReason[reason] ?? 0) + 1;
      rejected++;
    }
  }
  return { scored: rows - rejected, rejected, byReason };
}

/** The run's Parquet writer settings, for bench/batch's I/O floor (the same writer, no model). */
export { constantStringSql, PARQUET_WRITE_OPTIONS } from '../scoring';
