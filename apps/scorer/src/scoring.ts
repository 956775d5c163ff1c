// The scoring half of a batch run: the output COPY that scores the month as it writes it (through
// score-function.ts), what each scored vector leaves behind for the later writes, and the COPY
// statements that write the rejects file, the challengers' files and the rows for Postgres.
// score-month.ts runs these in order between the run record's claim and its end (run-lifecycle.ts).
import { stat } from 'node:fs/promises';
import path from 'node:path';

import type { DuckDBConnection } from '@duckdb/node-api';
import {
  downloadToFile,
  isS3Uri,
  ObjectNotFoundError,
  type TS3Options,
} from '@tripcast/model/object-store';
import {
  ANOMALIES,
  convertTripCsvToParquet,
  formatAnomalies,
  isCsvTripFile,
  REJECT_REASON_TEXT,
  REJECT_REASONS,
  sqlIdentifier,
  sqlString,
  tripColumnExpressions,
  type TTripColumns,
} from '@tripcast/model/trips';

import type { TMonth } from './month';
import { CHALLENGER_FUNCTION } from './challenger-columns';
import type { TColumnAppender } from './column-appender';
import { SCORE_FUNCTION, type TVectorBatch } from './score-function';

/**
 * The Parquet writer's settings for every file a run writes. zstd at level 1 writes files of the
 * same size as DuckDB's default zstd level (72.7 vs 73.1 MB for a 3M-row month) for about 25% less
 * CPU (1.14-1.32 vs 1.58-1.73 CPU-s); snappy costs less again but writes 27% more; larger row
 * groups cost more, and half DuckDB's default (122,880) lets the output COPY run at full speed in
 * the run's memory limit, for files 0.1% larger (bench/batch/README.md).
 */
export const PARQUET_WRITE_OPTIONS =
  'FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1, ROW_GROUP_SIZE 61440';

/**
 * A string that is the same on every row (`model_version`) as SQL for a COPY to Parquet. As a
 * one-value ENUM, DuckDB's Parquet writer writes it from the enum's codes: the same UTF8 column
 * with the same one-entry dictionary and statistics, which reads back as VARCHAR, without the
 * per-row dictionary lookup of a VARCHAR constant (about 150 ms per 3M rows: a fifth of a
 * challenger's file; bench/batch/README.md).
 */
export function constantStringSql(value: string): string {
  const literal = sqlString(value);
  return `${literal}::ENUM(${literal})`;
}

export type TBatchPredictionChunk = {
  rowIndex: Int32Array;
  rideId: string[];
  pickupMs: Float64Array;
  pu: Int32Array;
  do: Int32Array;
  /** NaN = unknown */
  actual: Float32Array;
  predicted: Float32Array;
  /** The input's trip distance; NaN = unknown. */
  tripDistance: Float32Array;
  /** Anomaly codes of the row (course policy), null = none. */
  anomaly: (string | null)[];
};

/** A failure whose message is meant for the user as it is (missing input, unreadable file, bad model). */
export class ScoreRunError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ScoreRunError';
  }
}

/** The input as a local Parquet file: downloaded from s3://, converted from a TLC CSV month. */
export async function fetchInput(
  uri: string,
  scratch: string,
  s3: TS3Options | undefined,
): Promise<string> {
  const file = await fetchInputFile(uri, scratch, s3);
  if (!isCsvTripFile(uri)) return file;
  const parquet = path.join(scratch, 'input-from-csv.parquet');
  try {
    await convertTripCsvToParquet(file, parquet);
  } catch (error) {
    throw new ScoreRunError(`input ${uri}: ${firstLine(error)}`, { cause: error });
  }
  return parquet;
}

async function fetchInputFile(
  uri: string,
  scratch: string,
  s3: TS3Options | undefined,
): Promise<string> {
  if (!isS3Uri(uri)) {
    try {
      const info = await stat(uri);
      if (!info.isFile()) throw new ScoreRunError(`input ${uri} is not a file`);
    } catch (error) {
      if (error instanceof ScoreRunError) throw error;
      throw new ScoreRunError(`input not found: ${uri}`, { cause: error });
    }
    return uri;
  }
  const local = path.join(scratch, isCsvTripFile(uri) ? path.basename(uri) : 'input.parquet');
  try {
    await downloadToFile(uri, local, { s3 });
  } catch (error) {
    if (error instanceof ObjectNotFoundError)
      throw new ScoreRunError(`input not found: ${uri}`, { cause: error });
    throw new ScoreRunError(`input ${uri} could not be downloaded: ${firstLine(error)}`, {
      cause: error,
    });
  }
  return local;
}

/** The run's `predictions` table (Postgres only): each scored row's index, anomaly mask, distance. */
export const PREDICTION_COLUMNS = [
  ['row_index', 'integer'],
  ['anomalies', 'utinyint'],
  ['distance', 'float'],
] as const;
/** The run's `rejects` table: each rejected row's index, reason code, and fields as the scorer read them. */
export const REJECT_COLUMNS = [
  ['row_index', 'integer'],
  ['reason', 'utinyint'],
  ['pickup_ms', 'double'],
  ['dropoff_ms', 'double'],
  ['pu', 'integer'],
  ['do_', 'integer'],
  ['distance', 'double'],
] as const;

/**
 * Appends one scored vector's rows where the later writes find them: each scored row to
 * `predictions` (its index, anomaly mask and distance for the Postgres rows), each rejected row
 * to `rejects` with its reason code (NaN fields become NULL).
 */
export function appendPredictions(
  /** null: nothing reads the scored rows back (no Postgres sink). */
  predictions: TColumnAppender<typeof PREDICTION_COLUMNS> | null,
  rejects: TColumnAppender<typeof REJECT_COLUMNS>,
  batch: TVectorBatch,
  checked: { reasons: Uint8Array; anomalies: Uint8Array; validCount: number },
  rejectCounts: Float64Array,
): void {
  const { reasons, anomalies, validCount: valid } = checked;
  const n = batch.length;
  if (predictions && valid > 0) {
    const [rowIndex, anomalyMask, distance] = predictions.columns;
    for (let i = 0; i < n; i++) {
      if (reasons[i] !== 0) continue;
      const j = predictions.addRow();
      rowIndex[j] = batch.rowIndex[i]!;
      anomalyMask[j] = anomalies[i]!;
      distance[j] = batch.distance[i]!;
    }
  }
  if (valid === n) return;
  // The row as the scorer read it (normalised fields) and why: a few % of a month.
  const [rowIndex, reason, pickupMs, dropoffMs, pu, dropoffZone, distance] = rejects.columns;
  for (let i = 0; i < n; i++) {
    const code = reasons[i]!;
    if (code === 0) continue;
    rejectCounts[code]!++;
    const j = rejects.addRow();
    rowIndex[j] = batch.rowIndex[i]!;
    reason[j] = code;
    pickupMs[j] = batch.pickupMs[i]!;
    dropoffMs[j] = batch.dropoffMs[i]!;
    pu[j] = batch.pu[i]!;
    dropoffZone[j] = batch.do[i]!;
    distance[j] = batch.distance[i]!;
  }
}

/** The homework's `f"{year:04d}/{month:02d}_"`; concatenated in SQL (printf per row costs a third of the COPY). */
export function rideIdPrefix({ year, month }: TMonth): string {
  return `${String(year).padStart(4, '0')}/${String(month).padStart(2, '0')}_`;
}

/** The course's output, exactly: columns, names and ride_id format of the homework. */
export function buildOutputCopy(
  options: TMonth & {
    columns: TTripColumns;
    inputFile: string;
    modelVersion: string;
    target: string;
  },
): string {
  const c = options.columns;
  const names = {
    pickup: sqlIdentifier(c.pickup),
    dropoff: sqlIdentifier(c.dropoff),
    pu: sqlIdentifier(c.pu),
    do: sqlIdentifier(c.do),
  };
  const e = tripColumnExpressions(c);
  // The subquery calls the score function once per row; the WHERE keeps the scored ones.
  return `COPY (
    SELECT ${sqlString(rideIdPrefix(options))} || i.file_row_number AS ride_id,
           i.${names.pickup}::TIMESTAMP AS pickup_datetime,
           i.${names.pu}::INTEGER AS PULocationID,
           i.${names.do}::INTEGER AS DOLocationID,
           date_diff('microsecond', i.${names.pickup}::TIMESTAMP, i.${names.dropoff}::TIMESTAMP) / 60e6 AS actual_duration,
           i.__tripcast_predicted::DOUBLE AS predicted_duration,
           actual_duration - predicted_duration AS diff,
           ${constantStringSql(options.modelVersion)} AS model_version
    FROM (
      SELECT *, ${SCORE_FUNCTION}(${e.pickupMs}, ${e.dropoffMs}, ${e.pu}, ${e.do}, ${e.distance}, file_row_number::INTEGER) AS __tripcast_predicted
      FROM read_parquet(${sqlString(options.inputFile)}, file_row_number = true, hive_partitioning = false)
    ) i
    WHERE i.__tripcast_predicted IS NOT NULL
  ) TO ${sqlString(options.target)} (${PARQUET_WRITE_OPTIONS})`;
}

/**
 * A challenger's predictions beside production's file: `ride_id`, `predicted_duration`,
 * `model_version`, the same rows in the same order, read by row index from the run's challenger
 * columns (challenger-columns.ts). The ride's fields and actual duration are in production's file
 * (join on ride_id); repeating them would cost a full course write per challenger (the ride_id
 * strings alone are half of one), against 1.5x one model's run for two.
 */
export function buildChallengerCopy(
  options: TMonth & { slot: number; totalRows: number; modelVersion: string; target: string },
): string {
  return `COPY (
    SELECT ${sqlString(rideIdPrefix(options))} || row_index AS ride_id, predicted_duration,
           ${constantStringSql(options.modelVersion)} AS model_version
    FROM (
      SELECT range::INTEGER AS row_index,
             ${CHALLENGER_FUNCTION}(${Math.trunc(options.slot)}, range::INTEGER)::DOUBLE AS predicted_duration
      FROM range(${Math.trunc(options.totalRows)})
    )
    WHERE predicted_duration IS NOT NULL
  ) TO ${sqlString(options.target)} (${PARQUET_WRITE_OPTIONS})`;
}

/**
 * Every rejected row with its index in the file, its reason code and text, and the fields the
 * scorer read (nulls as null; a literal zone 0 in the file reads as -1, see @tripcast/model/trips).
 */
export function buildRejectsCopy(options: { target: string }): string {
  // Each branch a constant of one ENUM type: the Parquet writer writes the codes (see
  // constantStringSql) instead of looking a string up in its dictionary per row.
  const caseOf = (labels: readonly string[]) => {
    const type = `ENUM(${[...new Set(labels)].map(sqlString).join(', ')})`;
    return `CASE reason ${labels.map((label, i) => `WHEN ${i} THEN ${sqlString(label)}::${type}`).join(' ')} END`;
  };
  const reasonCase = caseOf(REJECT_REASONS);
  const textCase = caseOf(REJECT_REASONS.map((reason) => REJECT_REASON_TEXT[reason]));
  return `COPY (
    SELECT row_index, ${reasonCase} AS reason, ${textCase} AS reason_text,
           make_timestamp((pickup_ms * 1000)::BIGINT) AS pickup_datetime, make_timestamp((dropoff_ms * 1000)::BIGINT) AS dropoff_datetime,
           CASE WHEN pu = 0 THEN NULL WHEN pu = -1 THEN 0 ELSE pu END AS PULocationID,
           CASE WHEN do_ = 0 THEN NULL WHEN do_ = -1 THEN 0 ELSE do_ END AS DOLocationID,
           distance AS trip_distance
    FROM rejects ORDER BY row_index
  ) TO ${sqlString(options.target)} (${PARQUET_WRITE_OPTIONS})`;
}

type TTypedVector = { items: Float64Array | Float32Array | Int32Array | Uint8Array };

/**
 * Reads the written Parquet back in chunks for the Postgres COPY, so the database gets exactly the
 * file's rows. Numeric columns are copied as typed arrays; ride_id is rebuilt from the same prefix
 * and row index the file's was made of (reading 3M strings out of DuckDB one by one costs seconds).
 */
export async function* readPredictionChunks(
  connection: DuckDBConnection,
  file: string,
  month: TMonth,
): AsyncGenerator<TBatchPredictionChunk> {
  const prefix = rideIdPrefix(month);
  // \`predictions\` holds exactly the file's rows (the scored ones), sorted by row index once
  // the output is written (score-month.ts): they join the file positionally.
  const result = await connection.stream(
    `SELECT CAST(substr(o.ride_id, ${prefix.length + 1}) AS INTEGER) AS row_index, epoch_ms(o.pickup_datetime)::DOUBLE,
            o.PULocationID, o.DOLocationID, coalesce(o.actual_duration, 'NaN')::FLOAT, o.predicted_duration::FLOAT,
            coalesce(p.distance, 'NaN')::FLOAT, p.anomalies
     FROM read_parquet(${sqlString(file)}, hive_partitioning = false) o
     POSITIONAL JOIN (SELECT distance, anomalies FROM predictions) p`,
  );
  const anomalyText = Array.from({ length: 1 << ANOMALIES.length }, (_, mask) =>
    formatAnomalies(mask),
  );
  for await (const column of streamNumericChunks(result)) {
    const rowIndex = Int32Array.from(column(0));
    yield {
      rowIndex,
      rideId: Array.from(rowIndex, (i) => `${prefix}${i}`),
      pickupMs: Float64Array.from(column(1)),
      pu: Int32Array.from(column(2)),
      do: Int32Array.from(column(3)),
      actual: Float32Array.from(column(4)),
      predicted: Float32Array.from(column(5)),
      tripDistance: Float32Array.from(column(6)),
      anomaly: Array.from(column(7), (mask) => anomalyText[mask] ?? null),
    };
  }
}

/**
 * A streaming result's chunks, each as a reader of its numeric columns: `column(k)` is a view over
 * DuckDB's memory, valid until the next chunk is fetched (copy what you keep).
 */
async function* streamNumericChunks(
  result: Awaited<ReturnType<DuckDBConnection['stream']>>,
): AsyncGenerator<(k: number) => TTypedVector['items']> {
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) return;
    const n = chunk.rowCount;
    yield (k) => (chunk.getColumnVector(k) as unknown as TTypedVector).items.subarray(0, n);
  }
}

export function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}
