import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { sqlString, withDuckDb } from './duckdb';
import { generateTripMonth } from './generate';
import { readTripMonth } from './read';
import { addRejectCounts, validateTripChunk, type TRejectReason } from './validate';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tripcast-generate-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function query(sql: string): Promise<Record<string, unknown>[]> {
  return withDuckDb(
    async (c) => (await c.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[],
  );
}

describe('generateTripMonth', () => {
  it('writes TLC columns for yellow and green', async () => {
    const yellow = await generateTripMonth({
      taxiType: 'yellow',
      year: 2023,
      month: 5,
      rows: 100,
      outPath: dir,
    });
    const green = await generateTripMonth({
      taxiType: 'green',
      year: 2021,
      month: 1,
      rows: 100,
      outPath: dir,
    });
    expect(path.basename(yellow.path)).toBe('yellow_tripdata_2023-05.parquet');
    const columns = async (file: string) =>
      (await query(`DESCRIBE SELECT * FROM read_parquet(${sqlString(file)})`)).map(
        (r) => r.column_name,
      );
    expect(await columns(yellow.path)).toEqual(
      expect.arrayContaining([
        'VendorID',
        'tpep_pickup_datetime',
        'tpep_dropoff_datetime',
        'PULocationID',
        'DOLocationID',
        'trip_distance',
        'airport_fee',
      ]),
    );
    const greenColumns = await columns(green.path);
    expect(greenColumns).toHaveLength(20);
    expect(greenColumns).toContain('ehail_fee');
  });

  it('is deterministic per seed', async () => {
    const digest = async (seed: number, name: string) => {
      const { path: file } = await generateTripMonth({
        taxiType: 'green',
        year: 2021,
        month: 1,
        rows: 5000,
        seed,
        outPath: path.join(dir, name),
      });
      const [row] = await query(
        `SELECT sum(hash(lpep_pickup_datetime, lpep_dropoff_datetime, PULocationID, DOLocationID, trip_distance))::VARCHAR AS h FROM read_parquet(${sqlString(file)})`,
      );
      return row!.h;
    };
    expect(await digest(5, 'a.parquet')).toBe(await digest(5, 'b.parquet'));
    expect(await digest(5, 'c.parquet')).not.toBe(await digest(6, 'd.parquet'));
  });

  it('makes rows dirty at the stated rates, and durations follow distance and hour', async () => {
    const rows = 40_000;
    const rates = {
      nullZone: 0.01,
      nonPositiveDistance: 0.05,
      multiDayDuration: 0.02,
      pickupOutsideMonth: 0.01,
    };
    const { path: file } = await generateTripMonth({
      taxiType: 'yellow',
      year: 2024,
      month: 2,
      rows,
      seed: 3,
      dirtyRates: rates,
      outPath: dir,
    });
    const counts: Partial<Record<TRejectReason, number>> = {};
    for await (const chunk of readTripMonth(file))
      addRejectCounts(counts, validateTripChunk(chunk, { year: 2024, month: 2 }).counts);
    const share = (reason: TRejectReason) => (counts[reason] ?? 0) / rows;
    expect(share('null_zone')).toBeCloseTo(rates.nullZone, 2);
    expect(share('non_positive_distance')).toBeCloseTo(rates.nonPositiveDistance, 2);
    expect(share('pickup_outside_month')).toBeCloseTo(rates.pickupOutsideMonth, 2);
    const [stats] = await query(`
      SELECT corr(trip_distance, minutes) AS r,
             avg(minutes / trip_distance) FILTER (WHERE hour(tpep_pickup_datetime) IN (8, 17)) AS rush,
             avg(minutes / trip_distance) FILTER (WHERE hour(tpep_pickup_datetime) IN (11, 14)) AS midday,
             count(*) FILTER (WHERE minutes > 1440) / ${rows} AS multi_day
      FROM (SELECT *, (epoch(tpep_dropoff_datetime) - epoch(tpep_pickup_datetime)) / 60 AS minutes
            FROM read_parquet(${sqlString(file)}) WHERE trip_distance > 0)`);
    expect(stats!.multi_day).toBeCloseTo(rates.multiDayDuration, 2);
    // Among normal trips (below a day): longer trips take longer, rush hours are slower.
    const [normal] = await query(`
      SELECT corr(trip_distance, (epoch(tpep_dropoff_datetime) - epoch(tpep_pickup_datetime)) / 60) AS r
      FROM read_parquet(${sqlString(file)}) WHERE trip_distance > 0 AND tpep_dropoff_datetime - tpep_pickup_datetime < INTERVAL 1 DAY`);
    expect(normal!.r).toBeGreaterThan(0.6);
    expect(stats!.rush as number).toBeGreaterThan((stats!.midday as number) * 1.2);
  });
});
