import type { TTaxiType } from '../ride';
import { sqlIdentifier, sqlString, withDuckDb } from './duckdb';
import { resolveTripColumns } from './read';

/** A TLC CSV month (`green_tripdata_2019-01.csv.gz`, the releases the course's data-engineering module uses). */
export function isCsvTripFile(file: string): boolean {
  return /\.csv(\.gz)?$/i.test(file);
}

/**
 * Convert a TLC CSV month (.csv or .csv.gz, the same column names as the Parquet files) to Parquet,
 * so every reader downstream (the scorer's positional output join, Parquet metadata, the trainer)
 * reads one format. The file's columns are resolved exactly as for Parquet (same errors); the five
 * columns the model reads get explicit types with TRY_CAST, so a value that does not parse (a time
 * like "n/a", a distance "abc") becomes null and its row is rejected with its reason, as a null in a
 * Parquet month would be, instead of failing the whole file. Other columns are kept as text.
 */
export async function convertTripCsvToParquet(
  csvFile: string,
  parquetFile: string,
  options: { taxiType?: TTaxiType; threads?: number } = {},
): Promise<{ taxiType: TTaxiType }> {
  return withDuckDb(
    async (connection) => {
      const source = `read_csv(${sqlString(csvFile)}, header = true, all_varchar = true)`;
      let names: string[];
      try {
        const reader = await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`);
        names = reader.getRowObjectsJS().map((row) => row.column_name as string);
      } catch (error) {
        throw new Error(`${csvFile} is not a readable CSV file: ${firstLine(error)}`, { cause: error });
      }
      const { taxiType, columns } = resolveTripColumns(names, options.taxiType);
      const id = sqlIdentifier;
      const typed = [
        `TRY_CAST(${id(columns.pickup)} AS TIMESTAMP) AS ${id(columns.pickup)}`,
        `TRY_CAST(${id(columns.dropoff)} AS TIMESTAMP) AS ${id(columns.dropoff)}`,
        // Through DOUBLE: some CSV releases write ids as "132.0".
        `TRY_CAST(TRY_CAST(${id(columns.pu)} AS DOUBLE) AS INTEGER) AS ${id(columns.pu)}`,
        `TRY_CAST(TRY_CAST(${id(columns.do)} AS DOUBLE) AS INTEGER) AS ${id(columns.do)}`,
        ...(columns.distance
          ? [`TRY_CAST(${id(columns.distance)} AS DOUBLE) AS ${id(columns.distance)}`]
          : []),
      ];
      try {
        await connection.run(
          `COPY (SELECT * REPLACE (${typed.join(', ')}) FROM ${source}) TO ${sqlString(parquetFile)} (FORMAT parquet)`,
        );
      } catch (error) {
        throw new Error(`${csvFile} is not a readable CSV file: ${firstLine(error)}`, { cause: error });
      }
      return { taxiType };
    },
    { threads: options.threads },
  );
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}
