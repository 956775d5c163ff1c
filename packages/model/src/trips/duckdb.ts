import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

/**
 * Run `work` on a fresh in-memory DuckDB and close it afterwards. DuckDB reads and writes Parquet
 * locally with no extension; s3:// objects are moved with the AWS SDK first (httpfs cannot be
 * downloaded here).
 */
export async function withDuckDb<T>(
  work: (connection: DuckDBConnection) => Promise<T>,
  options: { threads?: number } = {},
): Promise<T> {
  const instance = await DuckDBInstance.create(':memory:', {
    threads: String(options.threads ?? 2),
  });
  const connection = await instance.connect();
  try {
    return await work(connection);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Quote a string as a SQL literal. */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** Quote an identifier (column names like "dropOff_datetime" keep their case). */
export function sqlIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
