import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

import { ZTaxiType, type TTaxiType } from '../ride';
import { sqlIdentifier, sqlString, withDuckDb } from './duckdb';

/**
 * One chunk of a TLC month in columnar form. Every taxi type and vintage normalizes to this.
 * Nulls: pu/do 0 (a literal 0 in the file, not a TLC zone, becomes -1 so it reads as out of range),
 * distance / pickupMs / dropoffMs NaN. Timestamps are the file's naive local times as epoch ms.
 */
export type TTripChunk = {
  /** Index of this chunk's first row in the file (row order is the file's order). */
  rowOffset: number;
  length: number;
  pickupMs: Float64Array;
  dropoffMs: Float64Array;
  pu: Int32Array;
  do: Int32Array;
  distance: Float64Array;
};

export type TTripColumns = {
  pickup: string;
  dropoff: string;
  pu: string;
  do: string;
  distance: string | null;
};

const PICKUP_COLUMNS: Record<TTaxiType, string> = {
  yellow: 'tpep_pickup_datetime',
  green: 'lpep_pickup_datetime',
  fhv: 'pickup_datetime',
};
const DROPOFF_COLUMNS: Record<TTaxiType, string> = {
  yellow: 'tpep_dropoff_datetime',
  green: 'lpep_dropoff_datetime',
  fhv: 'dropoff_datetime',
};

export const DEFAULT_CHUNK_SIZE = 131_072;

/** `green_tripdata_2021-01.parquet` (or `.csv`, `.csv.gz`) -> { taxiType: 'green', year: 2021, month: 1 } */
export function parseTripFileName(
  fileName: string,
): { taxiType: TTaxiType; year: number; month: number } | null {
  const match = /(yellow|green|fhv)_tripdata_(\d{4})-(\d{2})\.(?:parquet|csv|csv\.gz)$/.exec(fileName);
  if (!match) return null;
  return { taxiType: match[1] as TTaxiType, year: Number(match[2]), month: Number(match[3]) };
}

/**
 * Find the file's columns for each field, case-insensitively (fhv writes `dropOff_datetime` and
 * `PUlocationID`). The taxi type is detected from the datetime columns unless given.
 */
export function resolveTripColumns(
  columnNames: readonly string[],
  taxiType?: TTaxiType,
): { taxiType: TTaxiType; columns: TTripColumns } {
  const byLower = new Map(columnNames.map((c) => [c.toLowerCase(), c]));
  const detected =
    taxiType ??
    ZTaxiType.options.find((t) => byLower.has(PICKUP_COLUMNS[t].toLowerCase()));
  if (!detected) {
    throw new Error(
      `not a TLC trip file: no tpep_/lpep_/pickup_datetime column (columns: ${columnNames.join(', ')})`,
    );
  }
  const need = (name: string) => {
    const found = byLower.get(name.toLowerCase());
    if (!found)
      throw new Error(
        `${detected} trip file lacks the column ${name} (columns: ${columnNames.join(', ')})`,
      );
    return found;
  };
  return {
    taxiType: detected,
    columns: {
      pickup: need(PICKUP_COLUMNS[detected]),
      dropoff: need(DROPOFF_COLUMNS[detected]),
      pu: need('PULocationID'),
      do: need('DOLocationID'),
      // fhv has no trip_distance: every row then lacks a distance, and says so when validated.
      distance: byLower.get('trip_distance') ?? null,
    },
  };
}

async function describeColumns(connection: DuckDBConnection, file: string): Promise<string[]> {
  const reader = await connection.runAndReadAll(
    `DESCRIBE SELECT * FROM read_parquet(${sqlString(file)})`,
  );
  return reader.getRowObjectsJS().map((r) => r.column_name as string);
}

/**
 * The five model columns as SQL expressions over the file's own columns, types and nulls
 * normalised for every vintage: times as epoch ms (NaN when null or unreadable), zones as INTEGER
 * (0 = null, -1 = a literal zone 0), distance as DOUBLE (NaN when null). Never NULL.
 */
export function tripColumnExpressions(columns: TTripColumns): {
  pickupMs: string;
  dropoffMs: string;
  pu: string;
  do: string;
  distance: string;
} {
  const id = (col: string) =>
    // TRY_CAST: INT64 (to 2023-01), INT32 (from 2023-02), DOUBLE (some fhv years), or an all-null column.
    `CASE WHEN TRY_CAST(${sqlIdentifier(col)} AS INTEGER) IS NULL THEN 0 WHEN TRY_CAST(${sqlIdentifier(col)} AS INTEGER) = 0 THEN -1 ELSE TRY_CAST(${sqlIdentifier(col)} AS INTEGER) END`;
  const ms = (col: string) =>
    `COALESCE(CAST(epoch_ms(TRY_CAST(${sqlIdentifier(col)} AS TIMESTAMP)) AS DOUBLE), 'NaN'::DOUBLE)`;
  const distance = columns.distance
    ? `COALESCE(TRY_CAST(${sqlIdentifier(columns.distance)} AS DOUBLE), 'NaN'::DOUBLE)`
    : `'NaN'::DOUBLE`;
  return {
    pickupMs: ms(columns.pickup),
    dropoffMs: ms(columns.dropoff),
    pu: id(columns.pu),
    do: id(columns.do),
    distance,
  };
}

/** SQL that reads only the five needed columns, normalizing types and nulls for every vintage. */
export function tripSelectSql(file: string, columns: TTripColumns): string {
  const e = tripColumnExpressions(columns);
  return `SELECT ${e.pickupMs} AS pickup_ms, ${e.dropoffMs} AS dropoff_ms,
    ${e.pu} AS pu, ${e.do} AS do_, ${e.distance} AS distance
    FROM read_parquet(${sqlString(file)})`;
}

function allocateChunk(rowOffset: number, size: number): TTripChunk {
  return {
    rowOffset,
    length: 0,
    pickupMs: new Float64Array(size),
    dropoffMs: new Float64Array(size),
    pu: new Int32Array(size),
    do: new Int32Array(size),
    distance: new Float64Array(size),
  };
}

function trimChunk(chunk: TTripChunk): TTripChunk {
  const n = chunk.length;
  if (n === chunk.pu.length) return chunk;
  return {
    ...chunk,
    pickupMs: chunk.pickupMs.subarray(0, n),
    dropoffMs: chunk.dropoffMs.subarray(0, n),
    pu: chunk.pu.subarray(0, n),
    do: chunk.do.subarray(0, n),
    distance: chunk.distance.subarray(0, n),
  };
}

export type TReadTripMonthOptions = {
  taxiType?: TTaxiType;
  /** Rows per yielded chunk (default 131,072): bounds JS memory whatever the file size. */
  chunkSize?: number;
  threads?: number;
};

/**
 * Stream a local TLC Parquet file as columnar chunks. Only the needed columns are read and DuckDB
 * streams its result, so a 3M-row month never sits in JS memory at once. For an s3:// month, copy
 * it to a local file first (`downloadToFile` in `@tripcast/model/object-store`).
 */
export async function* readTripMonth(
  file: string,
  options: TReadTripMonthOptions = {},
): AsyncGenerator<TTripChunk> {
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const instance = await DuckDBInstance.create(':memory:', {
    threads: String(options.threads ?? 2),
  });
  const connection = await instance.connect();
  try {
    const { columns } = resolveTripColumns(
      await describeColumns(connection, file),
      options.taxiType,
    );
    const result = await connection.stream(tripSelectSql(file, columns));
    let chunk = allocateChunk(0, chunkSize);
    for (;;) {
      const data = await result.fetchChunk();
      if (!data || data.rowCount === 0) break;
      // Column types are fixed by tripSelectSql: DOUBLE, DOUBLE, INTEGER, INTEGER, DOUBLE.
      const column = (i: number) =>
        data.getColumnVector(i) as { getItem(row: number): number | null };
      const [pickup, dropoff, pu, dropoffZone, distance] = [
        column(0),
        column(1),
        column(2),
        column(3),
        column(4),
      ];
      for (let r = 0; r < data.rowCount; r++) {
        if (chunk.length === chunkSize) {
          yield chunk;
          chunk = allocateChunk(chunk.rowOffset + chunkSize, chunkSize);
        }
        const i = chunk.length++;
        // The SQL already turned nulls into sentinels; `?? ` only satisfies the type.
        chunk.pickupMs[i] = pickup.getItem(r) ?? Number.NaN;
        chunk.dropoffMs[i] = dropoff.getItem(r) ?? Number.NaN;
        chunk.pu[i] = pu.getItem(r) ?? 0;
        chunk.do[i] = dropoffZone.getItem(r) ?? 0;
        chunk.distance[i] = distance.getItem(r) ?? Number.NaN;
      }
    }
    if (chunk.length > 0) yield trimChunk(chunk);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Row count and taxi type of a TLC file, from Parquet metadata (no full scan). */
export async function inspectTripFile(
  file: string,
): Promise<{ taxiType: TTaxiType; rows: number; columns: TTripColumns }> {
  return withDuckDb(
    async (connection) => {
      const resolved = resolveTripColumns(await describeColumns(connection, file));
      const reader = await connection.runAndReadAll(
        `SELECT count(*)::DOUBLE AS n FROM read_parquet(${sqlString(file)})`,
      );
      return { ...resolved, rows: Number(reader.getRowObjectsJS()[0]?.n) };
    },
    { threads: 1 },
  );
}
