// Where a run reads and writes. Course homework patterns (`INPUT_FILE_PATTERN`,
// `OUTPUT_FILE_PATTERN`) use Python format fields; we support exactly the ones it uses.
import path from 'node:path';

import type { TMonth } from './month';

import type { TTaxiType } from '@tripcast/model';

export type { TTaxiType };

export type TPatternValues = TMonth & { taxiType: TTaxiType; runId?: string };

const FIELD_RE = /\{(taxi_type|year|month|run_id)(?::(0?)(\d+)d)?\}/g;

/**
 * Fills `{taxi_type}`, `{year:04d}`, `{month:02d}` (and `{run_id}`) in a course pattern.
 * An unknown `{field}` is an error rather than left in a path by mistake.
 */
export function formatPattern(pattern: string, values: TPatternValues): string {
  const filled = pattern.replace(
    FIELD_RE,
    (_match, field: string, zero: string | undefined, width: string | undefined) => {
      let value: string;
      if (field === 'taxi_type') value = values.taxiType;
      else if (field === 'year') value = String(values.year);
      else if (field === 'month') value = String(values.month);
      else {
        if (!values.runId)
          throw new Error(`pattern "${pattern}" uses {run_id} but no run id is known yet`);
        value = values.runId;
      }
      return width ? value.padStart(Number(width), zero === '0' ? '0' : ' ') : value;
    },
  );
  const leftover = /\{[^}]*\}/.exec(filled);
  if (leftover) {
    throw new Error(
      `pattern "${pattern}" has an unknown field ${leftover[0]}; known: {taxi_type}, {year:04d}, {month:02d}, {run_id}`,
    );
  }
  return filled;
}

export function isS3Uri(uri: string): boolean {
  return uri.startsWith('s3://');
}

/** Joins URI/path segments with `/` for s3:// and the platform separator for local paths. */
export function joinUri(root: string, ...parts: string[]): string {
  if (isS3Uri(root)) return [root.replace(/\/+$/, ''), ...parts].join('/');
  return path.join(root, ...parts);
}

/** The TLC file name, as the TLC publishes it: `green_tripdata_2021-01.parquet`. */
export const DEFAULT_INPUT_FILE = '{taxi_type}_tripdata_{year:04d}-{month:02d}.parquet';

/** `<root>/taxi_type=<t>/year=<YYYY>/month=<MM>` (Hive-style partitions, readable by DuckDB/Athena/Spark). */
export function partitionPath(root: string, values: TPatternValues): string {
  return joinUri(
    root,
    `taxi_type=${values.taxiType}`,
    `year=${String(values.year).padStart(4, '0')}`,
    `month=${String(values.month).padStart(2, '0')}`,
  );
}

export type TRunLocations = { inputUri: string; outputUri: string; rejectsUri: string };

/**
 * Resolves the three locations of a run.
 * - input: `--input`/`INPUT_FILE_PATTERN` (pattern fields filled), else `<store>/trip-data/<TLC file name>`.
 * - output: `--output`/`OUTPUT_FILE_PATTERN`: ending in `.parquet` it is the file itself (course
 *   homework form); otherwise it is a root under which the partitioned layout is built. Default root
 *   `<store>/predictions`.
 * - rejects: `--rejects` (file or root, like output); else `<file>.rejects.parquet` beside a course-form
 *   output file; else `<store>/rejects/` with the same partitions and run id.
 */
export function resolveRunLocations(options: {
  storeUri: string;
  values: TPatternValues & { runId: string };
  input?: string | undefined;
  output?: string | undefined;
  rejects?: string | undefined;
}): TRunLocations {
  const { storeUri, values } = options;
  const inputUri = options.input
    ? formatPattern(options.input, values)
    : joinUri(storeUri, 'trip-data', formatPattern(DEFAULT_INPUT_FILE, values));
  const output = options.output
    ? formatPattern(options.output, values)
    : joinUri(storeUri, 'predictions');
  const outputUri = output.endsWith('.parquet')
    ? output
    : joinUri(partitionPath(output, values), `${values.runId}.parquet`);
  let rejectsUri: string;
  if (options.rejects) {
    const rejects = formatPattern(options.rejects, values);
    rejectsUri = rejects.endsWith('.parquet')
      ? rejects
      : joinUri(partitionPath(rejects, values), `${values.runId}.parquet`);
  } else if (output.endsWith('.parquet')) {
    rejectsUri = output.replace(/\.parquet$/, '.rejects.parquet');
  } else {
    rejectsUri = joinUri(
      partitionPath(joinUri(storeUri, 'rejects'), values),
      `${values.runId}.parquet`,
    );
  }
  return { inputUri, outputUri, rejectsUri };
}

/**
 * Where a challenger's predictions of a run go: beside production's file, same course columns,
 * `<output without .parquet>.challenger-<version>.parquet` (versions are one safe path segment).
 */
export function challengerOutputUri(outputUri: string, version: string): string {
  return `${outputUri.replace(/\.parquet$/, '')}.challenger-${version}.parquet`;
}
