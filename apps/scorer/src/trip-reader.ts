// Streams the month in file order as typed arrays copied straight out of DuckDB's vectors.
// The normalisation of every TLC vintage (column names, INT32/INT64 ids, null sentinels) is
// @tripcast/model/trips' (`resolveTripColumns`, `tripSelectSql`); this reader only replaces its
// per-value `getItem` loop with one typed-array copy per vector, the hot path of a 3M-row month.
import type { DuckDBConnection } from '@duckdb/node-api';
import type { TTaxiType } from '@tripcast/model';
import { resolveTripColumns, tripSelectSql, type TTripChunk, type TTripColumns } from '@tripcast/model/trips';

export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

export function sqlIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** The file's trip columns for this taxi type; throws naming the missing column. */
export async function readTripColumns(connection: DuckDBConnection, file: string, taxiType: TTaxiType): Promise<TTripColumns> {
  const reader = await connection.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${sqlString(file)})`);
  const names = reader.getRowObjectsJS().map((row) => row.column_name as string);
  return resolveTripColumns(names, taxiType).columns;
}

/** Row count from the Parquet footer (no scan). */
export async function countParquetRows(connection: DuckDBConnection, file: string): Promise<number> {
  const reader = await connection.runAndReadAll(`SELECT num_rows::DOUBLE AS n FROM parquet_file_metadata(${sqlString(file)})`);
  return Number(reader.getRowObjectsJS()[0]?.n ?? 0);
}

type TNumericVector = { items: Float64Array | Int32Array };

/**
 * Yields DuckDB's own chunks (2,048 rows) in file order: row_index, and so ride_id, is the row's
 * position in the file (DuckDB keeps insertion order for a plain projection).
 */
export async function* readTripChunks(
  connection: DuckDBConnection,
  options: { file: string; columns: TTripColumns },
): AsyncGenerator<TTripChunk> {
  const result = await connection.stream(tripSelectSql(options.file, options.columns));
  let rowOffset = 0;
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    const n = chunk.rowCount;
    // tripSelectSql turns every null into a sentinel (NaN, 0), so the raw values are complete.
    // `items` is a view over DuckDB memory valid until the next fetch: copy it.
    const take = <T extends Float64Array | Int32Array>(i: number, make: (n: number) => T): T => {
      const out = make(n);
      out.set((chunk.getColumnVector(i) as unknown as TNumericVector).items.subarray(0, n));
      return out;
    };
    yield {
      rowOffset,
      length: n,
      pickupMs: take(0, (k) => new Float64Array(k)),
      dropoffMs: take(1, (k) => new Float64Array(k)),
      pu: take(2, (k) => new Int32Array(k)),
      do: take(3, (k) => new Int32Array(k)),
      distance: take(4, (k) => new Float64Array(k)),
    };
    rowOffset += n;
  }
}
