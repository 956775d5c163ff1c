import { mkdir } from 'node:fs/promises';
import path from 'node:path';

import type { TTaxiType } from '../ride';
import { sqlString, withDuckDb } from './duckdb';

import { DEFAULT_DIRTY_RATES, type TDirtyRates } from './dirty-rates';

export { DEFAULT_DIRTY_RATES, type TDirtyRates } from './dirty-rates';

export type TGenerateTripMonthOptions = {
  taxiType: Extract<TTaxiType, 'yellow' | 'green'>;
  year: number;
  month: number;
  rows: number;
  seed?: number;
  dirtyRates?: Partial<TDirtyRates>;
  /** A .parquet file, or a folder (then named `{taxi}_tripdata_{YYYY}-{MM}.parquet` like the TLC). */
  outPath: string;
  threads?: number;
};

/**
 * Write a synthetic TLC month with DuckDB: realistic columns for yellow or green, zones drawn with a
 * skew (a few busy zones, a long tail), distances that follow a pseudo-geography of zone pairs,
 * durations from pair speeds, hour of day (rush hours slower) and distance, plus dirty rows at the
 * stated rates. Deterministic: the same seed gives the same file (every draw is a hash of row and seed).
 */
export async function generateTripMonth(
  options: TGenerateTripMonthOptions,
): Promise<{ path: string; rows: number }> {
  const { taxiType, year, month, rows } = options;
  if (!Number.isInteger(rows) || rows < 1) throw new Error('rows must be a positive integer');
  if (!Number.isInteger(month) || month < 1 || month > 12) throw new Error('month must be 1..12');
  const seed = options.seed ?? 1;
  const rates = { ...DEFAULT_DIRTY_RATES };
  for (const [key, value] of Object.entries(options.dirtyRates ?? {}) as [
    keyof TDirtyRates,
    number | undefined,
  ][]) {
    if (value === undefined) continue;
    if (!(value >= 0 && value <= 1)) throw new Error(`dirty rate ${key} must be between 0 and 1`);
    rates[key] = value;
  }
  if (Object.values(rates).reduce((a, b) => a + b, 0) > 1)
    throw new Error('dirty rates must add up to at most 1');
  const file = options.outPath.endsWith('.parquet')
    ? options.outPath
    : path.join(
        options.outPath,
        `${taxiType}_tripdata_${year}-${String(month).padStart(2, '0')}.parquet`,
      );
  await mkdir(path.dirname(path.resolve(file)), { recursive: true });

  const monthStart = `TIMESTAMP '${year}-${String(month).padStart(2, '0')}-01 00:00:00'`;
  const prefix = taxiType === 'yellow' ? 'tpep' : 'lpep';
  // u(k): an independent uniform draw in [0, 1) per row i and stream k, from DuckDB's hash.
  const u = (k: number) => `((hash(i, ${seed}, ${k}) % 1000000007)::DOUBLE / 1000000007)`;
  const c1 = rates.nullZone;
  const c2 = c1 + rates.nonPositiveDistance;
  const c3 = c2 + rates.multiDayDuration;
  const c4 = c3 + rates.pickupOutsideMonth;
  const sql = `
    WITH base AS (
      SELECT i,
        -- zones: squared uniform skews towards low ranks; *97 mod 265 permutes ranks to zone ids
        1 + (floor(265 * ${u(1)} ^ 2)::INT * 97) % 265 AS pu,
        1 + (floor(265 * ${u(2)} ^ 1.6)::INT * 89) % 265 AS do_,
        ${monthStart} + to_microseconds((${u(3)} * (epoch_us(${monthStart} + INTERVAL 1 MONTH) - epoch_us(${monthStart})))::BIGINT) AS pickup,
        ${u(4)} AS dirt, ${u(5)} AS noise1, ${u(6)} AS noise2, ${u(7)} AS noise3
      FROM range(${rows}) r(i)
    ), geo AS (
      SELECT *,
        -- pseudo-geography: each zone gets a point in an 8 x 8 mile box; the pair has its own speed
        (hash(pu, 11) % 800) / 100.0 AS px, (hash(pu, 12) % 800) / 100.0 AS py,
        (hash(do_, 11) % 800) / 100.0 AS dx, (hash(do_, 12) % 800) / 100.0 AS dy,
        8 + (hash(least(pu, do_), greatest(pu, do_), 13) % 1700) / 100.0 AS pair_mph
      FROM base
    ), trip AS (
      SELECT *,
        round(greatest(0.3, (sqrt((px - dx) ^ 2 + (py - dy) ^ 2) * 1.3 + 0.3) * (0.8 + 0.4 * noise1)), 2) AS dist,
        CASE WHEN hour(pickup) IN (7, 8, 9, 16, 17, 18, 19) THEN 0.7
             WHEN hour(pickup) BETWEEN 0 AND 5 THEN 1.35 ELSE 1.0 END AS hour_factor
      FROM geo
    ), timed AS (
      SELECT *,
        -- minutes = 2 min at the kerb + distance / speed, with multiplicative noise
        (2 + dist / (pair_mph * hour_factor) * 60) * exp((noise2 - 0.5) * 0.5) AS minutes
      FROM trip
    ), dirty AS (
      SELECT i,
        CASE WHEN dirt >= ${c3} AND dirt < ${c4}
             THEN (CASE WHEN noise3 < 0.5 THEN pickup - INTERVAL 1 MONTH ELSE pickup - INTERVAL 12 YEAR END)
             ELSE pickup END AS pickup,
        minutes, dirt, noise3, pu, do_, dist
      FROM timed
    )
    SELECT
      (1 + (hash(i, ${seed}, 8) % 2))::BIGINT AS VendorID,
      pickup AS ${prefix}_pickup_datetime,
      pickup + to_microseconds((CASE WHEN dirt >= ${c2} AND dirt < ${c3} THEN 1440 * (1 + 2 * noise3) ELSE minutes END * 60e6)::BIGINT)
        AS ${prefix}_dropoff_datetime,
      ${taxiType === 'green' ? `'N' AS store_and_fwd_flag, 1.0::DOUBLE AS RatecodeID,` : ''}
      CASE WHEN dirt < ${c1} AND noise3 < 0.5 THEN NULL ELSE pu END::BIGINT AS PULocationID,
      CASE WHEN dirt < ${c1} AND noise3 >= 0.5 THEN NULL ELSE do_ END::BIGINT AS DOLocationID,
      (1 + (hash(i, ${seed}, 9) % 3))::DOUBLE AS passenger_count,
      CASE WHEN dirt >= ${c1} AND dirt < ${c2} THEN (CASE WHEN noise3 < 0.7 THEN 0.0 ELSE -dist END) ELSE dist END AS trip_distance,
      ${taxiType === 'yellow' ? `1.0::DOUBLE AS RatecodeID, 'N' AS store_and_fwd_flag,` : ''}
      round(3.0 + 2.5 * dist + 0.5 * minutes, 2) AS fare_amount,
      0.5 AS extra, 0.5 AS mta_tax,
      round((hash(i, ${seed}, 10) % 300) / 100.0, 2) AS tip_amount,
      0.0 AS tolls_amount,
      ${taxiType === 'green' ? 'NULL::INTEGER AS ehail_fee,' : ''}
      0.3 AS improvement_surcharge,
      round(4.3 + 2.5 * dist + 0.5 * minutes + (hash(i, ${seed}, 10) % 300) / 100.0, 2) AS total_amount,
      (1 + (hash(i, ${seed}, 11) % 2))::DOUBLE AS payment_type,
      ${taxiType === 'green' ? '1.0::DOUBLE AS trip_type,' : ''}
      2.5 AS congestion_surcharge
      ${taxiType === 'yellow' ? ', 0.0 AS airport_fee' : ''}
    FROM dirty
    ORDER BY i`;
  await withDuckDb(
    async (connection) => {
      await connection.run(
        `COPY (${sql}) TO ${sqlString(file)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)`,
      );
    },
    { threads: options.threads },
  );
  return { path: file, rows };
}
