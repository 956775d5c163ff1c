// TLC trip months: read (DuckDB), validate (reject reason codes), generate synthetic months.
export * from './read';
export * from './validate';
export * from './generate';
export * from './source';
export * from './csv';
export { sqlIdentifier, sqlString, withDuckDb } from './duckdb';
