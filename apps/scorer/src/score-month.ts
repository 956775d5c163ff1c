// Scores one month of one taxi type: the batch mode of the course (its score.py), as a job that
// can be killed and rerun. Plain function over explicit dependencies; the CLI, the scheduler and
// tests call it with real ones.
//
// Flow: input (local or s3://, downloaded) -> DuckDB reads the month in file order -> validate
// (reason per rejected row) -> features + ONNX predict in batches -> predictions appended to a
// DuckDB table in row order -> one COPY joins them back to the input positionally and writes the
// course's Parquet to scratch -> published by temp + rename/copy -> optionally COPY into Postgres
// (one transaction per run) -> run record succeeded with counts and statistics.
import { mkdtemp, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { TS3Options } from '@tripcast/model/object-store';
import type { TLoadedModel } from '@tripcast/model/runtime';
import { REJECT_REASONS, validateTripChunk, type TTripColumns, type TValidationPolicy } from '@tripcast/model/trips';
import type { Logger } from 'pino';
import type { Pool } from 'pg';

import type { TMonth } from './month';
import type { TTaxiType } from './paths';
import { SILENT_PROGRESS, type TProgressReporter } from './progress';
import { publishFile, removeScratch } from './publish';
import { beginRun } from './run-lifecycle';
import type { TRunTrigger } from '@tripcast/db/queries/runs';
import {
  appendPredictions,
  batchChunks,
  buildOutputCopy,
  buildRejectsCopy,
  fetchInput,
  firstLine,
  PREDICT_BATCH_ROWS,
  readPredictionChunks,
  ScoreRunError,
  type TBatchPredictionChunk,
} from './scoring';
import { createSummaryAccumulator, type TRunSummary } from './stats';
import { countParquetRows, readTripChunks, readTripColumns } from './trip-reader';

export { ScoreRunError, type TBatchPredictionChunk } from './scoring';

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
  /** `course` (default): score what the course scores, flag anomalies; `strict`: reject them. */
  validation?: TValidationPolicy;
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
  summary: TRunSummary & {
    validation: TValidationPolicy;
    /** Scored rows flagged per anomaly (course policy; a row may have several). */
    anomaliesByReason: Record<string, number>;
    timings: Record<string, number>;
  };
};

export async function scoreMonth(deps: TScoreDeps, request: TScoreRequest): Promise<TScoreResult> {
  const { log } = deps;
  const pool = deps.pool ?? null;
  const progress = deps.progress ?? SILENT_PROGRESS;
  const staleAfterMs = deps.staleAfterMs ?? 60_000;
  const runLog = log.child({ runId: request.runId });
  const counters = { rowsRead: 0, rowsScored: 0, rowsRejected: 0, totalRows: 0 };
  // Share of the run done after each phase: scoring is weighted by rows read, then the writes.
  let phaseDone = 0;
  const SCORING_SHARE = 0.8;
  const overallProgress = () =>
    phaseDone > 0 ? phaseDone : counters.totalRows ? (SCORING_SHARE * counters.rowsRead) / counters.totalRows : 0;

  const lifecycle = await beginRun({
    pool,
    log: runLog,
    run: { ...request, id: request.runId, modelName: null },
    force: request.force,
    staleAfterMs,
    heartbeatMs: deps.heartbeatMs ?? 5_000,
    readProgress: () => ({ ...counters, progress: overallProgress() }),
  });
  const runKey = lifecycle.runKey;

  const scratchRoot = deps.scratchRoot ?? os.tmpdir();
  const scratchPrefix = `tripcast-score-${request.runId}-`;
  // Holding the claim, no other process works on this run id: scratch folders left under its name
  // by a killed earlier attempt (kill -9 runs no cleanup) can go.
  if (lifecycle.isClaimed) await removeStaleScratch(scratchRoot, scratchPrefix);
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
    await lifecycle.recordModel({ name: model.name, version: model.version });
    runLog.info({ model: `${model.name}@${model.version}`, rows: counters.totalRows }, 'model loaded');

    // Appenders on a second connection: an appender flushing on the reading connection would end
    // its streaming result early (DuckDB runs one statement per connection at a time).
    writer = await instance.connect();
    // One row per input row: the prediction (NULL = rejected), the row's anomaly mask and distance,
    // for the Postgres rows (the Parquet keeps the course's columns only).
    await writer.run('CREATE TABLE predictions (predicted FLOAT, anomalies UTINYINT, distance FLOAT)');
    await writer.run(
      'CREATE TABLE rejects (row_index INTEGER, reason UTINYINT, pickup_ms DOUBLE, dropoff_ms DOUBLE, pu INTEGER, do_ INTEGER, distance DOUBLE)',
    );
    const predictionsAppender = await writer.createAppender('predictions');
    const rejectsAppender = await writer.createAppender('rejects');
    const summary = createSummaryAccumulator();
    const rejectCounts = new Float64Array(REJECT_REASONS.length);
    const validation = request.validation ?? 'course';
    const anomalyCounts: Record<string, number> = {};

    progress.start(`${request.taxiType} ${request.year}-${String(request.month).padStart(2, '0')}`, counters.totalRows);
    const loadedModel = model;
    await time('scoreMs', async () => {
      for await (const batch of batchChunks(readTripChunks(conn, { file: inputFile, columns }), PREDICT_BATCH_ROWS)) {
        // The course's batch job scores trips of 1..60 minutes only (its read_data filter).
        const checked = validateTripChunk(batch, { ...request, requireCourseDuration: true, policy: validation });
        const { reasons, validCount: valid } = checked;
        for (const [anomaly, n] of Object.entries(checked.anomalyCounts)) anomalyCounts[anomaly] = (anomalyCounts[anomaly] ?? 0) + n;
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
        appendPredictions(predictionsAppender, rejectsAppender, batch, { reasons, anomalies: checked.anomalies }, predicted, rejectCounts);
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
      summary: { ...summary.summarize(), validation, anomaliesByReason: anomalyCounts, timings },
    };
    await lifecycle.succeed({ counters, summary: result.summary });
    runLog.info(
      { rowsRead: result.rowsRead, rowsScored: result.rowsScored, rowsRejected: result.rowsRejected, validation, anomalies: anomalyCounts, timings },
      'run succeeded',
    );
    return result;
  } catch (error) {
    progress.stop();
    await lifecycle.stopHeartbeat();
    const message = error instanceof ScoreRunError ? error.message : `unexpected error: ${firstLine(error)}`;
    runLog.error({ err: error }, `run failed: ${message}`);
    await lifecycle.fail(message);
    throw error instanceof ScoreRunError ? error : new ScoreRunError(message, { cause: error });
  } finally {
    void lifecycle.stopHeartbeat();
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

