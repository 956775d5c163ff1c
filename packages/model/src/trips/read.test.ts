import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { hasSharedData, sharedDataPath } from '../testing/shared-data';
import { sqlString, withDuckDb } from './duckdb';
import { parseTripFileName, readTripMonth, type TTripChunk } from './read';
import { addRejectCounts, REJECT_CODE, validateTripChunk, type TRejectReason } from './validate';

async function readAll(file: string, chunkSize?: number): Promise<TTripChunk[]> {
  const chunks: TTripChunk[] = [];
  for await (const chunk of readTripMonth(file, { chunkSize })) chunks.push(chunk);
  return chunks;
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tripcast-trips-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Write a tiny Parquet file with DuckDB from a SELECT, so every vintage's quirks are reproduced. */
async function writeParquet(name: string, select: string): Promise<string> {
  const file = path.join(dir, name);
  await withDuckDb(async (c) => {
    await c.run(`COPY (${select}) TO ${sqlString(file)} (FORMAT parquet)`);
  });
  return file;
}

describe('readTripMonth across vintages', () => {
  it('reads yellow with INT32 IDs (2023-02 on) and an all-null column', async () => {
    const file = await writeParquet(
      'yellow_tripdata_2023-02.parquet',
      `SELECT * FROM (VALUES
        (TIMESTAMP '2023-02-01 10:00:00', TIMESTAMP '2023-02-01 10:12:30', 132::INTEGER, 48::INTEGER, 17.2, NULL::INTEGER),
        (TIMESTAMP '2023-02-02 11:00:00', TIMESTAMP '2023-02-02 11:05:00', 4::INTEGER, NULL::INTEGER, 1.0, NULL::INTEGER)
      ) t(tpep_pickup_datetime, tpep_dropoff_datetime, PULocationID, DOLocationID, trip_distance, airport_fee)`,
    );
    const [chunk] = await readAll(file);
    expect(chunk?.length).toBe(2);
    expect(Array.from(chunk!.pu)).toEqual([132, 4]);
    expect(Array.from(chunk!.do)).toEqual([48, 0]);
    expect(chunk!.dropoffMs[0]! - chunk!.pickupMs[0]!).toBe(12.5 * 60_000);
    expect(chunk!.pickupMs[0]).toBe(Date.UTC(2023, 1, 1, 10));
    expect(Array.from(validateTripChunk(chunk!, { year: 2023, month: 2 }).reasons)).toEqual([
      0,
      REJECT_CODE.null_zone,
    ]);
  });

  it("reads fhv's odd column case (dropOff_datetime, PUlocationID), DOUBLE ids and no distance", async () => {
    const file = await writeParquet(
      'fhv_tripdata_2021-03.parquet',
      `SELECT * FROM (VALUES
        ('B00001', TIMESTAMP '2021-03-01 00:10:00', TIMESTAMP '2021-03-01 00:30:00', 10.0::DOUBLE, NULL::DOUBLE),
        ('B00002', TIMESTAMP '2021-03-05 08:00:00', TIMESTAMP '2021-03-05 08:20:00', 265.0::DOUBLE, 7.0::DOUBLE)
      ) t(dispatching_base_num, pickup_datetime, dropOff_datetime, PUlocationID, DOlocationID)`,
    );
    const [chunk] = await readAll(file);
    expect(Array.from(chunk!.pu)).toEqual([10, 265]);
    expect(Array.from(chunk!.do)).toEqual([0, 7]);
    expect(Number.isNaN(chunk!.distance[1])).toBe(true);
    const { counts } = validateTripChunk(chunk!, { year: 2021, month: 3 });
    expect(counts).toEqual({ null_zone: 1, missing_distance: 1 });
  });

  it('gives every bad row its reason', async () => {
    const file = await writeParquet(
      'green_tripdata_2021-01.parquet',
      `SELECT * FROM (VALUES
        (TIMESTAMP '2021-01-05 10:00:00', TIMESTAMP '2021-01-05 10:20:00', 1::BIGINT, 2::BIGINT, 3.0),
        (NULL, TIMESTAMP '2021-01-05 10:20:00', 1, 2, 3.0),
        (TIMESTAMP '2021-01-05 10:00:00', NULL, 1, 2, 3.0),
        (TIMESTAMP '2021-01-05 10:00:00', TIMESTAMP '2021-01-05 10:20:00', NULL, 2, 3.0),
        (TIMESTAMP '2021-01-05 10:00:00', TIMESTAMP '2021-01-05 10:20:00', 266, 2, 3.0),
        (TIMESTAMP '2021-01-05 10:00:00', TIMESTAMP '2021-01-05 10:20:00', 0, 2, 3.0),
        (TIMESTAMP '2021-01-05 10:00:00', TIMESTAMP '2021-01-05 10:20:00', 1, 2, NULL),
        (TIMESTAMP '2021-01-05 10:00:00', TIMESTAMP '2021-01-05 10:20:00', 1, 2, 0.0),
        (TIMESTAMP '2021-01-05 10:00:00', TIMESTAMP '2021-01-05 10:20:00', 1, 2, -4.2),
        (TIMESTAMP '2021-01-05 10:00:00', TIMESTAMP '2021-01-05 10:20:00', 1, 2, 244152.01),
        (TIMESTAMP '2020-12-31 23:50:00', TIMESTAMP '2021-01-01 00:10:00', 1, 2, 3.0),
        (TIMESTAMP '2021-01-05 10:00:00', TIMESTAMP '2021-01-07 10:20:00', 1, 2, 3.0),
        (TIMESTAMP '2021-01-05 10:00:00', TIMESTAMP '2021-01-05 10:00:30', 1, 2, 3.0)
      ) t(lpep_pickup_datetime, lpep_dropoff_datetime, PULocationID, DOLocationID, trip_distance)`,
    );
    const [chunk] = await readAll(file);
    const expected: TRejectReason[] = [
      'ok',
      'missing_pickup_datetime',
      'missing_dropoff_datetime',
      'null_zone',
      'zone_out_of_range',
      'zone_out_of_range',
      'missing_distance',
      'non_positive_distance',
      'non_positive_distance',
      'distance_too_large',
      'pickup_outside_month',
      'duration_out_of_range',
      'duration_out_of_range',
    ];
    const { reasons } = validateTripChunk(chunk!, {
      year: 2021,
      month: 1,
      requireCourseDuration: true,
    });
    expect(Array.from(reasons)).toEqual(expected.map((r) => REJECT_CODE[r]));
    // Scoring (no duration rule) keeps the multi-day and 30-second trips.
    const scoring = validateTripChunk(chunk!, { year: 2021, month: 1 });
    expect(scoring.validCount).toBe(3);
  });

  it('streams in bounded chunks with running row offsets', async () => {
    const file = await writeParquet(
      'yellow_tripdata_2022-05.parquet',
      `SELECT TIMESTAMP '2022-05-01' + INTERVAL (i) MINUTE AS tpep_pickup_datetime,
              TIMESTAMP '2022-05-01' + INTERVAL (i + 10) MINUTE AS tpep_dropoff_datetime,
              (i % 265 + 1)::BIGINT AS PULocationID, 7::BIGINT AS DOLocationID, 1.5 AS trip_distance
       FROM range(10000) r(i)`,
    );
    const chunks = await readAll(file, 3000);
    expect(chunks.map((c) => c.length)).toEqual([3000, 3000, 3000, 1000]);
    expect(chunks.map((c) => c.rowOffset)).toEqual([0, 3000, 6000, 9000]);
    // Row order is the file's: ride_id row indices depend on it.
    expect(chunks[3]!.pu[999]).toBe((9999 % 265) + 1);
  });

  it('refuses a file that is not a TLC month, naming its columns', async () => {
    const file = await writeParquet('other.parquet', 'SELECT 1 AS a, 2 AS b');
    await expect(readAll(file)).rejects.toThrow(
      /no tpep_\/lpep_\/pickup_datetime column \(columns: a, b\)/,
    );
  });

  it('parses TLC file names', () => {
    expect(parseTripFileName('s3://b/x/green_tripdata_2021-01.parquet')).toEqual({
      taxiType: 'green',
      year: 2021,
      month: 1,
    });
    expect(parseTripFileName('trips.parquet')).toBeNull();
  });
});

const greenFile = sharedDataPath('green_tripdata_2021-01.parquet');
describe.skipIf(!hasSharedData('green_tripdata_2021-01.parquet'))(
  `real TLC green 2021-01 (${greenFile})`,
  () => {
    it('reads 76,518 rows with the dirty-row counts an independent SQL count finds', async () => {
      const chunks = await readAll(greenFile, 20_000);
      expect(chunks.reduce((n, c) => n + c.length, 0)).toBe(76_518);
      const scoring = {};
      const training = {};
      let trainable = 0;
      for (const chunk of chunks) {
        addRejectCounts(scoring, validateTripChunk(chunk, { year: 2021, month: 1 }).counts);
        const v = validateTripChunk(chunk, { year: 2021, month: 1, requireCourseDuration: true });
        addRejectCounts(training, v.counts);
        trainable += v.validCount;
      }
      // The same rules, counted by DuckDB straight from the file.
      const sqlCounts = await withDuckDb(async (c) => {
        const reader = await c.runAndReadAll(`
        SELECT count(*) FILTER (WHERE trip_distance <= 0)::INT AS non_positive,
               count(*) FILTER (WHERE trip_distance > 500)::INT AS too_large,
               count(*) FILTER (WHERE trip_distance > 0 AND trip_distance <= 500
                 AND (lpep_pickup_datetime < '2021-01-01' OR lpep_pickup_datetime >= '2021-02-01'))::INT AS outside,
               count(*) FILTER (WHERE trip_distance > 0 AND trip_distance <= 500
                 AND lpep_pickup_datetime >= '2021-01-01' AND lpep_pickup_datetime < '2021-02-01'
                 AND NOT (epoch_ms(lpep_dropoff_datetime) - epoch_ms(lpep_pickup_datetime) BETWEEN 60000 AND 3600000))::INT AS bad_duration,
               count(*) FILTER (WHERE PULocationID IS NULL OR DOLocationID IS NULL)::INT AS null_zone
        FROM read_parquet(${sqlString(greenFile)})`);
        return reader.getRowObjectsJS()[0]!;
      });
      expect(sqlCounts.null_zone).toBe(0);
      expect(scoring).toEqual({
        non_positive_distance: sqlCounts.non_positive,
        distance_too_large: sqlCounts.too_large,
        pickup_outside_month: sqlCounts.outside,
      });
      // Figures found in the TLC's file (asserted so a reader change that shifts them is caught).
      expect(scoring).toEqual({
        non_positive_distance: 2553,
        distance_too_large: 55,
        pickup_outside_month: 1,
      });
      expect(training).toEqual({ ...scoring, duration_out_of_range: sqlCounts.bad_duration });
      expect(trainable).toBe(76_518 - 2553 - 55 - 1 - Number(sqlCounts.bad_duration));
    });
  },
);
