// Scores one month of one taxi type: the batch mode of the course (its score.py), as a job that
// can be killed and rerun. Plain function over explicit dependencies; the CLI, the scheduler and
// tests call it with real ones.
//
// Flow: input (local or s3://, downloaded) -> DuckDB reads the month in file order -> validate
// (reason per rejected row) -> features + ONNX predict in batches -> predictions appended to a
// DuckDB table in row order -> one COPY joins them back to the input positionally and writes the
// course's Parquet to scratch -> published by temp + rename/copy -> optionally COPY into Postgres
// (one transaction per run) -> run record succeeded with counts and statistics.
import { mkdtemp, readdir, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { DOUBLE, DuckDBDataChunk, DuckDBInstance, FLOAT, INTEGER, UTINYINT, type DuckDBConnection } from '@duckdb/node-api';
import type { TLoadedModel } from '@tripcast/model/runtime';
import { downloadToFile, isS3Uri, ObjectNotFoundError, type TS3Options } from '@tripcast/model/object-store';
import type { Logger } from 'pino';
import type { Pool } from 'pg';

import type { TMonth } from './month';
import type { TTaxiType } from './paths';
import { publishFile, removeScratch } from './publish';
import { SILENT_PROGRESS, type TProgressReporter } from './progress';
import {
  claimRun,
  completeRun,
  createRunRecord,
  failRun,
  recordModel,
  recordRunProgress,
  type TRunTrigger,
} from './run-records';
import { createSummaryAccumulator, type TRunSummary } from './stats';
import { REJECT_REASON_TEXT, REJECT_REASONS, validateTripChunk, type TTripChunk, type TTripColumns } from '@tripcast/model/trips';

import { countParquetRows, readTripChunks, readTripColumns, sqlIdentifier, sqlString } from './trip-reader';

/** Rows per predict call: large enough that onnxruntime's per-call cost vanishes, small enough to bound memory. */
const PREDICT_BATCH_ROWS = 65_536;
/** DuckDB's vector size: the most one appended data chunk may hold. */
const DUCKDB_VECTOR = 2_048;

export type TBatchPredictionChunk = {
  rowIndex: Int32Array;
  rideId: string[];
  pickupMs: Float64Array;
  pu: Int32Array;
  do: Int32Array;
  /** NaN = unknown */
  actual: Float32Array;
  predicted: Float32Array;
};

/** Replaces one run's rows in Postgres atomically (@tripcast/db/batch-predictions). */
export type TWritePredictions = (input: { pool: Pool; runKey: number; rows: AsyncIterable<TBatchPredictionChunk> }) => Promise<unknown>;

export type TScoreRequest = TMonth & {
  runId: string;
  taxiType: TTaxiType;
  inputUri: string;
  outputUri: string;
  rejectsUri: string;
  trigger: TRunTrigger;
  requestedBy?: string | null;
  backfillId?: string | null;
  /** Take over a run still marked running (its process was killed): skip the stale-heartbeat wait. */
  force?: boolean;
};

export type TScoreDeps = {
  log: Logger;
  /** Loads the model to score with (registry production, a named version, or a location). */
  loadModel: () => Promise<TLoadedModel>;
  s3?: TS3Options;
  /** Run records and the predictions sink; null = Parquet only (no DATABASE_URL). */
  pool?: Pool | null;
  writePredictions?: TWritePredictions | null;
  progress?: TProgressReporter;
  heartbeatMs?: number;
  staleAfterMs?: number;
  scratchRoot?: string;
};

export type TScoreResult = {
  runId: string;
  rowsRead: number;
  rowsScored: number;
  rowsRejected: number;
  outputUri: string;
  rejectsUri: string;
  modelName: string;
  modelVersion: string;
  summary: TRunSummary & { timings: Record<string, number> };
};

/** A failure whose message is meant for the user as it is (missing input, unreadable file, bad model). */
export class ScoreRunError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ScoreRunError';
  }
}

export async function scoreMonth(deps: TScoreDeps, request: TScoreRequest): Promise<TScoreResult> {
  const { log } = deps;
  const pool = deps.pool ?? null;
  const progress = deps.progress ?? SILENT_PROGRESS;
  const staleAfterMs = deps.staleAfterMs ?? 60_000;
  const runLog = log.child({ runId: request.runId });
  let runKey: number | null = null;
  const counters = { rowsRead: 0, rowsScored: 0, rowsRejected: 0, totalRows: 0 };
  // Share of the run done after each phase: scoring is weighted by rows read, then the writes.
  let phaseDone = 0;
  const SCORING_SHARE = 0.8;
  const overallProgress = () =>
    phaseDone > 0 ? phaseDone : counters.totalRows ? (SCORING_SHARE * counters.rowsRead) / counters.totalRows : 0;
  let heartbeat: NodeJS.Timeout | null = null;
  let lastBeat: Promise<void> = Promise.resolve();

  if (pool) {
    await createRunRecord(pool, { ...request, id: request.runId, modelName: null });
    const claimed = await claimRun(pool, {
      runId: request.runId,
      staleAfterMs: request.force ? 0 : staleAfterMs,
      inputUri: request.inputUri,
      outputUri: request.outputUri,
      rejectsUri: request.rejectsUri,
    });
    runKey = claimed.key;
    heartbeat = setInterval(() => {
      lastBeat = recordRunProgress(pool, request.runId, {
        ...counters,
        progress: overallProgress(),
      }).catch((error: unknown) => runLog.warn({ err: error }, 'heartbeat write failed'));
    }, deps.heartbeatMs ?? 5_000);
    heartbeat.unref();
  }

  const scratchRoot = deps.scratchRoot ?? os.tmpdir();
  const scratchPrefix = `tripcast-score-${request.runId}-`;
  // Holding the claim, no other process works on this run id: scratch folders left under its name
  // by a killed earlier attempt (kill -9 runs no cleanup) can go.
  if (pool) await removeStaleScratch(scratchRoot, scratchPrefix);
  const scratch = await mkdtemp(path.join(scratchRoot, scratchPrefix));
  let instance: DuckDBInstance | null = null;
  let connection: DuckDBConnection | null = null;
  let writer: DuckDBConnection | null = null;
  let model: TLoadedModel | null = null;
  const timings: Record<string, number> = {};
  const startedAt = performance.now();
  const time = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      timings[name] = Math.round(performance.now() - t0);
    }
  };

  try {
    runLog.info({ input: request.inputUri, output: request.outputUri }, 'run started');
    const inputFile = await time('fetchMs', () => fetchInput(request.inputUri, scratch, deps.s3));

    instance = await DuckDBInstance.create(':memory:', {
      threads: '2',
      memory_limit: '512MB',
      temp_directory: path.join(scratch, 'duckdb-tmp'),
      preserve_insertion_order: 'true',
    });
    connection = await instance.connect();
    const conn = connection;

    let columns: TTripColumns;
    try {
      counters.totalRows = await countParquetRows(conn, inputFile);
      columns = await readTripColumns(conn, inputFile, request.taxiType);
    } catch (error) {
      if (error instanceof ScoreRunError) throw error;
      throw new ScoreRunError(`input ${request.inputUri} is not a readable Parquet file: ${firstLine(error)}`, { cause: error });
    }

    model = await time('loadModelMs', async () => {
      try {
        return await deps.loadModel();
      } catch (error) {
        throw new ScoreRunError(`model failed to load: ${firstLine(error)}`, { cause: error });
      }
    });
    if (pool) await recordModel(pool, request.runId, { name: model.name, version: model.version });
    runLog.info({ model: `${model.name}@${model.version}`, rows: counters.totalRows }, 'model loaded');

    // Appenders on a second connection: an appender flushing on the reading connection would end
    // its streaming result early (DuckDB runs one statement per connection at a time).
    writer = await instance.connect();
    await writer.run('CREATE TABLE predictions (predicted FLOAT)');
    await writer.run(
      'CREATE TABLE rejects (row_index INTEGER, reason UTINYINT, pickup_ms DOUBLE, dropoff_ms DOUBLE, pu INTEGER, do_ INTEGER, distance DOUBLE)',
    );
    const predictionsAppender = await writer.createAppender('predictions');
    const rejectsAppender = await writer.createAppender('rejects');
    const summary = createSummaryAccumulator();
    const rejectCounts = new Float64Array(REJECT_REASONS.length);

    progress.start(`${request.taxiType} ${request.year}-${String(request.month).padStart(2, '0')}`, counters.totalRows);
    const loadedModel = model;
    await time('scoreMs', async () => {
      for await (const batch of batchChunks(readTripChunks(conn, { file: inputFile, columns }), PREDICT_BATCH_ROWS)) {
        // The course's batch job scores trips of 1..60 minutes only (its read_data filter).
        const { reasons, validCount: valid } = validateTripChunk(batch, { ...request, requireCourseDuration: true });
        const pu = new Int32Array(valid);
        const dropoff = new Int32Array(valid);
        const distance = new Float32Array(valid);
        const actual = new Float32Array(valid);
        for (let i = 0, j = 0; i < batch.length; i++) {
          if (reasons[i] !== 0) continue;
          pu[j] = batch.pu[i]!;
          dropoff[j] = batch.do[i]!;
          distance[j] = batch.distance[i]!;
          actual[j] = (batch.dropoffMs[i]! - batch.pickupMs[i]!) / 60_000;
          j++;
        }
        const predicted = valid > 0 ? await loadedModel.predict({ pu, do: dropoff, distance }) : new Float32Array(0);
        summary.addScored(predicted, actual, valid);
        appendPredictions(predictionsAppender, rejectsAppender, batch, reasons, predicted, rejectCounts);
        counters.rowsRead += batch.length;
        counters.rowsScored += valid;
        counters.rowsRejected += batch.length - valid;
        progress.update(counters);
      }
    });
    predictionsAppender.flushSync();
    predictionsAppender.closeSync();
    rejectsAppender.flushSync();
    rejectsAppender.closeSync();
    progress.stop();

    if (counters.rowsRead !== counters.totalRows) {
      throw new ScoreRunError(`read ${counters.rowsRead} rows but the file's metadata says ${counters.totalRows}`);
    }
    phaseDone = SCORING_SHARE;
    const reasonCounts: Record<string, number> = {};
    rejectCounts.forEach((n, i) => {
      if (i > 0 && n > 0) reasonCounts[REJECT_REASONS[i]!] = n;
    });
    summary.addRejects(reasonCounts);

    const localOutput = path.join(scratch, 'predictions.parquet');
    const localRejects = path.join(scratch, 'rejects.parquet');
    await time('writeMs', async () => {
      await conn.run(buildOutputCopy({ ...request, columns, inputFile, modelVersion: loadedModel.version, target: localOutput }));
    });
    await time('writeRejectsMs', () => conn.run(buildRejectsCopy({ target: localRejects })));
    phaseDone = pool && deps.writePredictions ? 0.85 : 0.95;
    await time('publishMs', async () => {
      await publishFile(localOutput, request.outputUri, { s3: deps.s3, runId: request.runId });
      await publishFile(localRejects, request.rejectsUri, { s3: deps.s3, runId: request.runId });
    });

    phaseDone = pool && deps.writePredictions ? 0.88 : 0.99;
    if (pool && deps.writePredictions && runKey !== null) {
      const key = runKey;
      await time('databaseMs', () =>
        deps.writePredictions!({ pool, runKey: key, rows: readPredictionChunks(conn, localOutput, request) }),
      );
    }

    timings.totalMs = Math.round(performance.now() - startedAt);
    const result: TScoreResult = {
      runId: request.runId,
      ...counters,
      outputUri: request.outputUri,
      rejectsUri: request.rejectsUri,
      modelName: loadedModel.name,
      modelVersion: loadedModel.version,
      summary: { ...summary.summarize(), timings },
    };
    if (heartbeat) clearInterval(heartbeat);
    heartbeat = null;
    await lastBeat;
    if (pool) await completeRun(pool, request.runId, { ...counters, progress: 1, summary: result.summary });
    runLog.info(
      { rowsRead: result.rowsRead, rowsScored: result.rowsScored, rowsRejected: result.rowsRejected, timings },
      'run succeeded',
    );
    return result;
  } catch (error) {
    progress.stop();
    if (heartbeat) clearInterval(heartbeat);
    heartbeat = null;
    await lastBeat;
    const message = error instanceof ScoreRunError ? error.message : `unexpected error: ${firstLine(error)}`;
    runLog.error({ err: error }, `run failed: ${message}`);
    if (pool) await failRun(pool, request.runId, message).catch(() => undefined);
    throw error instanceof ScoreRunError ? error : new ScoreRunError(message, { cause: error });
  } finally {
    if (heartbeat) clearInterval(heartbeat);
    writer?.closeSync();
    connection?.closeSync();
    instance?.closeSync();
    await model?.close().catch(() => undefined);
    await removeScratch(scratch);
  }
}

async function removeStaleScratch(root: string, prefix: string): Promise<void> {
  const entries = await readdir(root).catch(() => [] as string[]);
  await Promise.all(entries.filter((name) => name.startsWith(prefix)).map((name) => removeScratch(path.join(root, name))));
}

async function fetchInput(uri: string, scratch: string, s3: TS3Options | undefined): Promise<string> {
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
  const local = path.join(scratch, 'input.parquet');
  try {
    await downloadToFile(uri, local, { s3 });
  } catch (error) {
    if (error instanceof ObjectNotFoundError) throw new ScoreRunError(`input not found: ${uri}`, { cause: error });
    throw new ScoreRunError(`input ${uri} could not be downloaded: ${firstLine(error)}`, { cause: error });
  }
  return local;
}

/** Regroups DuckDB's 2,048-row chunks into batches of about `rows` rows (fewer predict calls). */
async function* batchChunks(chunks: AsyncIterable<TTripChunk>, rows: number): AsyncGenerator<TTripChunk> {
  let pending: TTripChunk[] = [];
  let pendingRows = 0;
  for await (const chunk of chunks) {
    pending.push(chunk);
    pendingRows += chunk.length;
    if (pendingRows >= rows) {
      yield concatChunks(pending, pendingRows);
      pending = [];
      pendingRows = 0;
    }
  }
  if (pendingRows > 0) yield concatChunks(pending, pendingRows);
}

function concatChunks(chunks: TTripChunk[], total: number): TTripChunk {
  if (chunks.length === 1) return chunks[0]!;
  const out: TTripChunk = {
    rowOffset: chunks[0]!.rowOffset,
    length: total,
    pickupMs: new Float64Array(total),
    dropoffMs: new Float64Array(total),
    pu: new Int32Array(total),
    do: new Int32Array(total),
    distance: new Float64Array(total),
  };
  let at = 0;
  for (const c of chunks) {
    out.pickupMs.set(c.pickupMs, at);
    out.dropoffMs.set(c.dropoffMs, at);
    out.pu.set(c.pu, at);
    out.do.set(c.do, at);
    out.distance.set(c.distance, at);
    at += c.length;
  }
  return out;
}

type TFloatVector = { setItem(i: number, v: number | null): void; flush(): void };
type TAppender = { appendDataChunk(chunk: DuckDBDataChunk): void };

/**
 * One predictions row per input row, in input order (NULL for a rejected row), so the output
 * COPY can join them to the file POSITIONALly; rejected rows also go to `rejects` with their code.
 */
function appendPredictions(
  predictions: TAppender,
  rejects: TAppender,
  batch: TTripChunk,
  reasons: Uint8Array,
  predicted: Float32Array,
  rejectCounts: Float64Array,
): void {
  let j = 0;
  for (let start = 0; start < batch.length; start += DUCKDB_VECTOR) {
    const n = Math.min(DUCKDB_VECTOR, batch.length - start);
    const chunk = DuckDBDataChunk.create([FLOAT], n);
    const vector = chunk.getColumnVector(0) as unknown as TFloatVector;
    const rejectRows: number[] = [];
    for (let i = 0; i < n; i++) {
      const reason = reasons[start + i]!;
      if (reason === 0) vector.setItem(i, predicted[j++]!);
      else {
        vector.setItem(i, null);
        rejectRows.push(start + i);
        rejectCounts[reason]!++;
      }
    }
    vector.flush();
    predictions.appendDataChunk(chunk);
    if (rejectRows.length > 0) {
      // The row as the scorer read it (normalised fields) and why: a few % of a month, so a cheap
      // append here instead of a second full-width read of the input file.
      const rejectChunk = DuckDBDataChunk.create([INTEGER, UTINYINT, DOUBLE, DOUBLE, INTEGER, INTEGER, DOUBLE], rejectRows.length);
      const nanToNull = (v: number) => (Number.isNaN(v) ? null : v);
      rejectChunk.setColumnValues(0, rejectRows.map((i) => batch.rowOffset + i));
      rejectChunk.setColumnValues(1, rejectRows.map((i) => reasons[i]!));
      rejectChunk.setColumnValues(2, rejectRows.map((i) => nanToNull(batch.pickupMs[i]!)));
      rejectChunk.setColumnValues(3, rejectRows.map((i) => nanToNull(batch.dropoffMs[i]!)));
      rejectChunk.setColumnValues(4, rejectRows.map((i) => batch.pu[i]!));
      rejectChunk.setColumnValues(5, rejectRows.map((i) => batch.do[i]!));
      rejectChunk.setColumnValues(6, rejectRows.map((i) => nanToNull(batch.distance[i]!)));
      rejects.appendDataChunk(rejectChunk);
    }
  }
}

/** The homework's `f"{year:04d}/{month:02d}_"`; concatenated in SQL (printf per row costs a third of the COPY). */
export function rideIdPrefix({ year, month }: TMonth): string {
  return `${String(year).padStart(4, '0')}/${String(month).padStart(2, '0')}_`;
}

/** The course's output, exactly: columns, names and ride_id format of the homework. */
export function buildOutputCopy(options: TMonth & { columns: TTripColumns; inputFile: string; modelVersion: string; target: string }): string {
  const c = options.columns;
  const names = { pickup: sqlIdentifier(c.pickup), dropoff: sqlIdentifier(c.dropoff), pu: sqlIdentifier(c.pu), do: sqlIdentifier(c.do) };
  return `COPY (
    SELECT ${sqlString(rideIdPrefix(options))} || i.file_row_number AS ride_id,
           i.${names.pickup}::TIMESTAMP AS pickup_datetime,
           i.${names.pu}::INTEGER AS PULocationID,
           i.${names.do}::INTEGER AS DOLocationID,
           date_diff('microsecond', i.${names.pickup}::TIMESTAMP, i.${names.dropoff}::TIMESTAMP) / 60e6 AS actual_duration,
           p.predicted::DOUBLE AS predicted_duration,
           actual_duration - predicted_duration AS diff,
           ${sqlString(options.modelVersion)} AS model_version
    FROM read_parquet(${sqlString(options.inputFile)}, file_row_number = true, hive_partitioning = false) i POSITIONAL JOIN predictions p
    WHERE p.predicted IS NOT NULL
  ) TO ${sqlString(options.target)} (FORMAT parquet, COMPRESSION zstd)`;
}

/**
 * Every rejected row with its index in the file, its reason code and text, and the fields the
 * scorer read (nulls as null; a literal zone 0 in the file reads as -1, see @tripcast/model/trips).
 */
function buildRejectsCopy(options: { target: string }): string {
  const reasonCase = REJECT_REASONS.map((reason, i) => `WHEN ${i} THEN ${sqlString(reason)}`).join(' ');
  const textCase = REJECT_REASONS.map((reason, i) => `WHEN ${i} THEN ${sqlString(REJECT_REASON_TEXT[reason])}`).join(' ');
  return `COPY (
    SELECT row_index, CASE reason ${reasonCase} END AS reason, CASE reason ${textCase} END AS reason_text,
           make_timestamp((pickup_ms * 1000)::BIGINT) AS pickup_datetime, make_timestamp((dropoff_ms * 1000)::BIGINT) AS dropoff_datetime,
           CASE WHEN pu = 0 THEN NULL WHEN pu = -1 THEN 0 ELSE pu END AS PULocationID,
           CASE WHEN do_ = 0 THEN NULL WHEN do_ = -1 THEN 0 ELSE do_ END AS DOLocationID,
           distance AS trip_distance
    FROM rejects ORDER BY row_index
  ) TO ${sqlString(options.target)} (FORMAT parquet, COMPRESSION zstd)`;
}

type TTypedVector = { items: Float64Array | Float32Array | Int32Array };

/**
 * Reads the written Parquet back in chunks for the Postgres COPY, so the database gets exactly the
 * file's rows. Numeric columns are copied as typed arrays; ride_id is rebuilt from the same prefix
 * and row index the file's was made of (reading 3M strings out of DuckDB one by one costs seconds).
 */
async function* readPredictionChunks(connection: DuckDBConnection, file: string, month: TMonth): AsyncGenerator<TBatchPredictionChunk> {
  const prefix = rideIdPrefix(month);
  const result = await connection.stream(
    `SELECT CAST(substr(ride_id, ${prefix.length + 1}) AS INTEGER) AS row_index, epoch_ms(pickup_datetime)::DOUBLE,
            PULocationID, DOLocationID, coalesce(actual_duration, 'NaN')::FLOAT, predicted_duration::FLOAT
     FROM read_parquet(${sqlString(file)}, hive_partitioning = false)`,
  );
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    const n = chunk.rowCount;
    const column = (k: number) => (chunk.getColumnVector(k) as unknown as TTypedVector).items.subarray(0, n);
    const rowIndex = Int32Array.from(column(0));
    yield {
      rowIndex,
      rideId: Array.from(rowIndex, (i) => `${prefix}${i}`),
      pickupMs: Float64Array.from(column(1)),
      pu: Int32Array.from(column(2)),
      do: Int32Array.from(column(3)),
      actual: Float32Array.from(column(4)),
      predicted: Float32Array.from(column(5)),
    };
  }
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}
