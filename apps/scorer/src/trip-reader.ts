// What the scorer asks of the input file before scoring it: its trip columns and its row count.
// The normalisation of every TLC vintage (column names, INT32/INT64 ids, null sentinels) is
// @tripcast/model/trips' (`resolveTripColumns`, `tripColumnExpressions`).
import type { DuckDBConnection } from '@duckdb/node-api';
import type { TTaxiType } from '@tripcast/model';
import { resolveTripColumns, sqlString, type TTripColumns } from '@tripcast/model/trips';

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
