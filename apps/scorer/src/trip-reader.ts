// Reads the columns scoring needs from a local TLC Parquet month, in chunks, as typed arrays
// viewed straight over DuckDB's vectors (no per-value conversion: the hot path of a 3M-row month).
// Column names differ by taxi type (tpep_/lpep_/none, PUlocationID in fhv); DuckDB resolves
// identifiers case-insensitively, so one name per role covers every TLC vintage.
import type { DuckDBConnection } from '@duckdb/node-api';

import type { TTaxiType } from './paths';

export type TTripChunk = {
  /** Input row index of the first row of this chunk. */
  rowOffset: number;
  length: number;
  /** Epoch ms, NaN when missing. */
  pickupMs: Float64Array;
  dropoffMs: Float64Array;
  /** Zone IDs, 0 when missing. */
  pu: Int32Array;
  do: Int32Array;
  /** Miles, NaN when missing or absent (fhv). */
  distance: Float64Array;
};

const PICKUP_COLUMN: Record<TTaxiType, string> = {
  yellow: 'tpep_pickup_datetime',
  green: 'lpep_pickup_datetime',
  fhv: 'pickup_datetime',
};
const DROPOFF_COLUMN: Record<TTaxiType, string> = {
  yellow: 'tpep_dropoff_datetime',
  green: 'lpep_dropoff_datetime',
  fhv: 'dropOff_datetime',
};

export function tripColumnNames(taxiType: TTaxiType): { pickup: string; dropoff: string; pu: string; do: string } {
  return { pickup: PICKUP_COLUMN[taxiType], dropoff: DROPOFF_COLUMN[taxiType], pu: 'PULocationID', do: 'DOLocationID' };
}

export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** Column names of a Parquet file, lower-cased. */
export async function readParquetColumns(connection: DuckDBConnection, file: string): Promise<string[]> {
  const reader = await connection.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${sqlString(file)})`);
  return reader.getRowObjects().map((row) => String(row.column_name).toLowerCase());
}

export async function countParquetRows(connection: DuckDBConnection, file: string): Promise<number> {
  const reader = await connection.runAndReadAll(
    `SELECT sum(row_group_num_rows)::BIGINT AS n FROM (SELECT DISTINCT row_group_id, row_group_num_rows FROM parquet_metadata(${sqlString(file)}))`,
  );
  return Number(reader.getRowObjects()[0]?.n ?? 0);
}

/** The SELECT list that normalises one TLC month to the scorer's columns. */
export async function buildTripSelect(connection: DuckDBConnection, file: string, taxiType: TTaxiType): Promise<string> {
  const names = tripColumnNames(taxiType);
  const present = new Set(await readParquetColumns(connection, file));
  const missing = [names.pickup, names.dropoff, names.pu, names.do].filter((n) => !present.has(n.toLowerCase()));
  if (missing.length > 0) {
    throw new Error(
      `input is not a ${taxiType} TLC trip file: missing column(s) ${missing.join(', ')} (has ${[...present].slice(0, 12).join(', ')})`,
    );
  }
  const distance = present.has('trip_distance') ? 'trip_distance::DOUBLE' : 'NULL::DOUBLE';
  return [
    `epoch_ms(${names.pickup}::TIMESTAMP)::DOUBLE AS pickup_ms`,
    `epoch_ms(${names.dropoff}::TIMESTAMP)::DOUBLE AS dropoff_ms`,
    `coalesce(TRY_CAST(${names.pu} AS INTEGER), 0) AS pu`,
    `coalesce(TRY_CAST(${names.do} AS INTEGER), 0) AS do_`,
    `${distance} AS distance`,
  ].join(', ');
}

type TVectorItems = { items: Float64Array | Int32Array; validity: { itemValid(i: number): boolean } };

/**
 * Yields the month in input order. Chunks are DuckDB's own (2,048 rows); the scorer batches them.
 * Reading in file order matters: row_index (and so ride_id) is the row's position in the file.
 */
export async function* readTripChunks(
  connection: DuckDBConnection,
  options: { file: string; taxiType: TTaxiType },
): AsyncGenerator<TTripChunk> {
  const select = await buildTripSelect(connection, options.file, options.taxiType);
  // preserve_insertion_order (DuckDB's default) keeps file order through a plain projection.
  const result = await connection.stream(`SELECT ${select} FROM read_parquet(${sqlString(options.file)})`);
  let rowOffset = 0;
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    const n = chunk.rowCount;
    const out: TTripChunk = {
      rowOffset,
      length: n,
      pickupMs: new Float64Array(n),
      dropoffMs: new Float64Array(n),
      pu: new Int32Array(n),
      do: new Int32Array(n),
      distance: new Float64Array(n),
    };
    copyColumn(chunk.getColumnVector(0) as unknown as TVectorItems, out.pickupMs, n, NaN);
    copyColumn(chunk.getColumnVector(1) as unknown as TVectorItems, out.dropoffMs, n, NaN);
    copyColumn(chunk.getColumnVector(2) as unknown as TVectorItems, out.pu, n, 0);
    copyColumn(chunk.getColumnVector(3) as unknown as TVectorItems, out.do, n, 0);
    copyColumn(chunk.getColumnVector(4) as unknown as TVectorItems, out.distance, n, NaN);
    rowOffset += n;
    yield out;
  }
}

/**
 * Copies a vector's values (a typed-array view over DuckDB's memory, `items` in node-api's
 * numeric vectors) and marks nulls. The view is only valid until the next fetch: copy, don't keep.
 */
function copyColumn(vector: TVectorItems, target: Float64Array | Int32Array, n: number, nullValue: number): void {
  target.set(vector.items.subarray(0, n));
  for (let i = 0; i < n; i++) if (!vector.validity.itemValid(i)) target[i] = nullValue;
}
