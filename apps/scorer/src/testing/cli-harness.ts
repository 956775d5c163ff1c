// Runs the real `scorer` bin as a child process (as a user or the launcher would) and reads
// Parquet back with DuckDB, for the end-to-end tests.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { DuckDBInstance } from '@duckdb/node-api';

export const SCORER_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'scorer.js');

/** Variables the tests set themselves: never inherit them from the developer's shell. */
const OWN_VARS = [
  'DATABASE_URL', 'OBJECT_STORE_URI', 'TRIPCAST_HOME', 'S3_ENDPOINT_URL', 'INPUT_FILE_PATTERN', 'OUTPUT_FILE_PATTERN',
  'MODEL_NAME', 'MODEL_LOCATION', 'DATE', 'TAXI_TYPE', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION',
  'RUN_EVENTS_BUS_NAME', 'EVENTBRIDGE_ENDPOINT_URL', 'RUN_WEBHOOK_URL', 'RUN_WEBHOOK_SECRET',
];

export function cliEnv(vars: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn' };
  for (const name of OWN_VARS) delete env[name];
  for (const [k, v] of Object.entries(vars)) if (v !== undefined) env[k] = v;
  return env;
}

export type TCliResult = { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string };

export function startCli(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; done: Promise<TCliResult> } {
  const child = spawn(process.execPath, [SCORER_BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<TCliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

export async function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<TCliResult> {
  return startCli(args, env).done;
}

/** Runs one query on a throwaway DuckDB and returns plain JS rows. */
export async function queryDuckDb(sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(sql);
    return reader.getRowObjectsJS();
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** A SQL string literal (for DuckDB queries over paths the tests made). */
export { sqlString } from '@tripcast/model/trips';

/** The course's output Parquet columns and their DuckDB types, in order. */
export const COURSE_COLUMNS = [
  ['ride_id', 'VARCHAR'],
  ['pickup_datetime', 'TIMESTAMP'],
  ['PULocationID', 'INTEGER'],
  ['DOLocationID', 'INTEGER'],
  ['actual_duration', 'DOUBLE'],
  ['predicted_duration', 'DOUBLE'],
  ['diff', 'DOUBLE'],
  ['model_version', 'VARCHAR'],
];
