// TLC CSV months (.csv, .csv.gz) read like Parquet ones: small CSVs made from the shared real month
// with DuckDB's own COPY TO, in a temp folder, then read back through the same path the trainer
// and the scorer use (localizeTripFile -> Parquet -> readTripMonth / validateTripChunk).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { hasSharedData, sharedDataPath } from '../testing/shared-data';
import { isCsvTripFile } from './csv';
import { sqlString, withDuckDb } from './duckdb';
import { parseTripFileName, readTripMonth, type TTripChunk } from './read';
import { localizeTripFile } from './source';
import { validateTripChunk } from './validate';

const MONTH = 'green_tripdata_2021-01.parquet';
const ROWS = 5_000;
const available = hasSharedData(MONTH);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tripcast-csv-'));
  if (!available) return;
  const source = `(SELECT * FROM read_parquet(${sqlString(sharedDataPath(MONTH))}) LIMIT ${ROWS})`;
  await withDuckDb(async (connection) => {
    await connection.run(`COPY ${source} TO ${sqlString(path.join(dir, 'green_tripdata_2021-01.csv'))} (HEADER, DELIMITER ',')`);
    await connection.run(`COPY ${source} TO ${sqlString(path.join(dir, 'green_tripdata_2021-01.csv.gz'))} (HEADER, DELIMITER ',', COMPRESSION gzip)`);
    await connection.run(`COPY ${source} TO ${sqlString(path.join(dir, 'first.parquet'))} (FORMAT parquet)`);
    // Unparsable values (a TLC CSV is text: anything can be in a cell) and a file lacking a column.
    await connection.run(
      `COPY (SELECT * REPLACE (CASE WHEN rn = 1 THEN 'n/a' ELSE lpep_pickup_datetime::VARCHAR END AS lpep_pickup_datetime,
                               CASE WHEN rn = 2 THEN 'abc' ELSE trip_distance::VARCHAR END AS trip_distance)
             FROM (SELECT *, row_number() OVER () AS rn FROM ${source} LIMIT 10))
       TO ${sqlString(path.join(dir, 'green_tripdata_2021-02.csv'))} (HEADER)`,
    );
    await connection.run(
      `COPY (SELECT * EXCLUDE (PULocationID) FROM ${source} LIMIT 10) TO ${sqlString(path.join(dir, 'no-zone.csv'))} (HEADER)`,
    );
  });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function readAll(file: string): Promise<TTripChunk[]> {
  const chunks: TTripChunk[] = [];
  for await (const chunk of readTripMonth(file)) chunks.push(chunk);
  return chunks;
}

describe.skipIf(!available)(`TLC CSV months (${available ? 'shared data' : `skipped: ${sharedDataPath(MONTH)} absent`})`, () => {
  it.each(['green_tripdata_2021-01.csv', 'green_tripdata_2021-01.csv.gz'])('%s reads as the same rows as the Parquet month', async (name) => {
    expect(isCsvTripFile(name)).toBe(true);
    expect(parseTripFileName(name)).toEqual({ taxiType: 'green', year: 2021, month: 1 });
    const local = await localizeTripFile(path.join(dir, name));
    try {
      expect(local.path).toMatch(/green_tripdata_2021-01\.parquet$/);
      const [fromCsv] = await readAll(local.path);
      const [fromParquet] = await readAll(path.join(dir, 'first.parquet'));
      expect(fromCsv!.length).toBe(ROWS);
      expect(fromCsv!.pickupMs).toEqual(fromParquet!.pickupMs);
      expect(fromCsv!.dropoffMs).toEqual(fromParquet!.dropoffMs);
      expect(fromCsv!.pu).toEqual(fromParquet!.pu);
      expect(fromCsv!.do).toEqual(fromParquet!.do);
      expect(fromCsv!.distance).toEqual(fromParquet!.distance);
    } finally {
      await local.cleanup();
    }
    await expect(import('node:fs/promises').then((fs) => fs.stat(local.path))).rejects.toThrow();
  });

  it('turns an unparsable value into a rejected row with its reason, not a failed file', async () => {
    const local = await localizeTripFile(path.join(dir, 'green_tripdata_2021-02.csv'));
    try {
      const [chunk] = await readAll(local.path);
      const { reasons, counts } = validateTripChunk(chunk!, { year: 2021, month: 1 });
      expect(chunk!.length).toBe(10);
      expect(reasons[0]).not.toBe(0);
      expect(Number.isNaN(chunk!.pickupMs[0]!)).toBe(true);
      expect(Number.isNaN(chunk!.distance[1]!)).toBe(true);
      expect(counts).toMatchObject({ missing_pickup_datetime: 1, missing_distance: 1 });
    } finally {
      await local.cleanup();
    }
  });

  it('names a missing column and a missing file as for Parquet', async () => {
    await expect(localizeTripFile(path.join(dir, 'no-zone.csv'))).rejects.toThrow('green trip file lacks the column PULocationID');
    const missing = path.join(dir, 'green_tripdata_1999-01.csv.gz');
    await expect(localizeTripFile(missing)).rejects.toThrow(`not found: ${missing}`);
    await expect(localizeTripFile(path.join(dir, 'nope.parquet'))).rejects.toThrow(/^not found: /);
  });
});
