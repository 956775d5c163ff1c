// Scores one month of one taxi type: the batch mode of the course (its score.py), as a job that
// can be killed and rerun. Plain function over explicit dependencies; the CLI, the scheduler and
// tests call it with real ones.
//
// Flow: input (local or s3://, downloaded) -> one DuckDB COPY reads the month and writes the
// course's Parquet to scratch, scoring each vector on its way through a scalar function
// (score-function.ts: validate, reason per rejected row, features + ONNX predict, the rejects and
// (for Postgres) the scored rows' extras appended to DuckDB tables) -> rejects file written from
// its table, challenger files from their columns -> published by rename (S3: temp key + copy) -> optionally COPY into Postgres (one
// transaction per run) -> run record succeeded with counts and statistics.
//
// Challengers (registry stage `challenger`) score the same vectors after production, one model
// call each per vector, kept by row index (challenger-columns.ts): each gets a sibling Parquet (paths.ts challengerOutputUri), its rows in
// batch_challenger_predictions and its figures in batch_run_model_metrics beside production's.
// A challenger that fails to load or to score is recorded with its error and skipped: it never
// fails the run or changes production's output.
import { mkdtemp, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { TS3Options } from '@tripcast/model/object-store';
import { replaceRunChallengerPredictions } from '@tripcast/db/batch-predictions';
import type { TNewRunModelMetrics } from '@tripcast/db/queries/run-metrics';
import {
  createAgreementAccumulator,
  createErrorMetrics,
  type TAgreement,
  type TErrorMetrics,
} from '@tripcast/model/quality';
import type { TDriftThresholds } from '@tripcast/model/monitoring';
import { createRunDriftTracker } from '@tripcast/model/monitoring-store';
import type { TLoadedModel } from '@tripcast/model/runtime';
import {
  REJECT_REASONS,
  validateTripChunk,
  type TTripColumns,
  type TValidationPolicy,
} from '@tripcast/model/trips';
import type { Logger } from 'pino';
import type { Pool } from 'pg';

import type { TMonth } from './month';
import { challengerOutputUri, type TTaxiType } from './paths';
import { SILENT_PROGRESS, type TProgressReporter } from './progress';
import { publishFile, removeScratch } from './publish';
import { beginRun } from './run-lifecycle';
import type { TRunTrigger } from '@tripcast/db/queries/runs';
import {
  createVectorQueue,
  MAX_QUEUED_VECTORS,
  registerScoreFunction,
  type TScoredVector,
} from './score-function';
import {
  appendPredictions,
  buildChallengerCopy,
  buildOutputCopy,
  buildRejectsCopy,
  fetchInput,
  firstLine,
  readPredictionChunks,
  PREDICTION_COLUMNS,
  REJECT_COLUMNS,
  ScoreRunError,
  type TBatchPredictionChunk,
} from './scoring';
import { createColumnTable } from './column-appender';
import { createSummaryAccumulator, type TRunSummary } from './stats';
import {
  createChallengerColumns,
  registerChallengerFunction,
  type TChallengerColumns,
} from './challenger-columns';
import { countParquetRows, readTripColumns } from './trip-reader';

export { ScoreRunError, type TBatchPredictionChunk } from './scoring';

/** Replaces one run's rows in Postgres atomically (@tripcast/db/batch-predictions). */
export type TWritePredictions = (input: {
  pool: Pool;
  runKey: number;
  rows: AsyncIterable<TBatchPredictionChunk>;
}) => Promise<unknown>;

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

/** Rows appended between two commits of the run's DuckDB tables (bounds their unflushed memory). */
const FLUSH_EVERY_ROWS = 1 << 20;

/** A challenger as its loader found it: loaded, or why not. */
export type TChallengerModel = {
  version: string;
  model: TLoadedModel | null;
  error: string | null;
};

export type TScoreDeps = {
  log: Logger;
  /** Loads the model to score with (registry production, a named version, or a location). */
  loadModel: () => Promise<TLoadedModel>;
  /** Drift thresholds (DRIFT_* env); absent = the defaults of @tripcast/model/monitoring. */
  driftThresholds?: Partial<TDriftThresholds>;
  /** The challengers that score beside it (registry stage `challenger`); absent = none. */
  loadChallengers?: (production: TLoadedModel) => Promise<TChallengerModel[]>;
  s3?: TS3Options;
  /** Run records and the predictions sink; null = Parquet only (no DATABASE_URL). */
  pool?: Pool | null;
  writePredictions?: TWritePredictions | null;
  progress?: TProgressReporter;
  heartbeatMs?: number;
  staleAfterMs?: number;
  scratchRoot?: string;
};

/** What one model that scored the run achieved (production's figures are also in `summary`). */
export type TRunModelResult = {
  modelVersion: string;
  role: 'production' | 'challenger';
  /** Why a challenger has no figures (failed to load or to score); null when it scored. */
  error: string | null;
  rowsScored: number;
  metrics: TErrorMetrics;
  /** A challenger against production on the same rows; null for production. */
  agreement: TAgreement | null;
  outputUri: string | null;
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
  /** Production first, then every challenger. */
  models: TRunModelResult[];
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
    phaseDone > 0
      ? phaseDone
      : counters.totalRows
        ? (SCORING_SHARE * counters.rowsRead) / counters.totalRows
        : 0;

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
  let challengers: TChallengerSlot[] = [];
  let productionDrift: TDriftTracker | null = null;
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

    // A bounded memory limit: the predictions table (Postgres sink, challengers) grows with the
    // month, and committed blocks beyond the limit spill to the temp directory, so peak RSS stays
    // under 512 MB (12M-row month: 494 MB). Chosen by measurement with the row groups of
    // PARQUET_WRITE_OPTIONS: at 128 MB the order-keeping output COPY ran at half speed, at 256 MB
    // a 12M-row month peaked at 584 MB.
    instance = await DuckDBInstance.create(':memory:', {
      threads: '2',
      memory_limit: '176MB',
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
      throw new ScoreRunError(
        `input ${request.inputUri} is not a readable Parquet file: ${firstLine(error)}`,
        { cause: error },
      );
    }

    model = await time('loadModelMs', async () => {
      try {
        return await deps.loadModel();
      } catch (error) {
        throw new ScoreRunError(`model failed to load: ${firstLine(error)}`, { cause: error });
      }
    });
    await lifecycle.recordModel({ name: model.name, version: model.version });
    runLog.info(
      { model: `${model.name}@${model.version}`, rows: counters.totalRows },
      'model loaded',
    );
    const production = model;
    // Input and prediction drift of each model against its training reference, counted while the
    // run scores and recorded once it has succeeded (model_drift; needs the database).
    const trackDrift = (
      scoring: TLoadedModel,
      role: 'production' | 'challenger',
    ): TDriftTracker | null =>
      pool
        ? createRunDriftTracker({
            pool,
            model: scoring,
            role,
            s3: deps.s3,
            log: runLog,
            thresholds: deps.driftThresholds,
          })
        : null;
    productionDrift = trackDrift(production, 'production');
    challengers = await time('loadChallengersMs', () =>
      loadChallengerSlots(deps, production, runLog, trackDrift),
    );

    // Appenders on a second connection: the scoring connection is busy with the output COPY
    // (DuckDB runs one statement per connection at a time).
    writer = await instance.connect();
    // Read back only by the Postgres rows: without them, a run skips the appends (about a sixth of
    // its JS work).
    const keepsScoredRows = Boolean(pool && deps.writePredictions);
    const challengerColumns =
      challengers.length > 0
        ? createChallengerColumns(counters.totalRows, challengers.length)
        : null;
    if (challengerColumns) registerChallengerFunction(conn, challengerColumns);
    // One row per scored row: its index, anomaly mask and distance for the Postgres rows (the
    // Parquet keeps the course's columns only).
    const predictionsAppender = keepsScoredRows
      ? await createColumnTable(writer, 'predictions', PREDICTION_COLUMNS)
      : null;
    const rejectsAppender = await createColumnTable(writer, 'rejects', REJECT_COLUMNS);
    const summary = createSummaryAccumulator();
    const productionMetrics = createErrorMetrics();
    // Quality and drift work (counting and recording): reported as timings.monitoringMs.
    let monitoringMs = 0;
    let rowsSinceFlush = 0;
    const rejectCounts = new Float64Array(REJECT_REASONS.length);
    const validation = request.validation ?? 'course';
    const anomalyCounts: Record<string, number> = {};

    progress.start(
      `${request.taxiType} ${request.year}-${String(request.month).padStart(2, '0')}`,
      counters.totalRows,
    );
    const loadedModel = model;
    // What a scored vector leaves for the JS thread to do after its prediction has gone back to
    // DuckDB: figures, drift, challengers and the appends. DuckDB's threads wait while the score
    // function runs, not while this runs (it runs between calls), so it is queued, within a bound.
    const recordScored = (vector: TScoredVector) => {
      const { batch, checked, rides, actual, predicted } = vector;
      const valid = checked.validCount;
      summary.addScored(predicted, valid);
      const monitorStart = performance.now();
      productionMetrics.add(predicted, actual, valid);
      productionDrift?.add({ ...rides, predicted }, valid);
      monitoringMs += performance.now() - monitorStart;
      if (challengerColumns) {
        const rowIndex = scoredRowIndex(batch.rowIndex, checked.reasons, valid);
        challengerColumns.markScored(rowIndex);
        scoreChallengers(
          challengers,
          rides,
          { rowIndex, predicted, actual },
          challengerColumns,
          runLog,
          (ms) => (monitoringMs += ms),
        );
      }
      appendPredictions(predictionsAppender, rejectsAppender, batch, checked, rejectCounts);
      // Commit every ~1M rows: an appender keeps unflushed rows in transaction-local memory,
      // which the memory limit cannot evict (the whole month's rows would sit in RAM).
      if ((rowsSinceFlush += batch.length) >= FLUSH_EVERY_ROWS) {
        predictionsAppender?.flush();
        rejectsAppender.flush();
        rowsSinceFlush = 0;
      }
    };
    const recorder = createVectorQueue(recordScored, MAX_QUEUED_VECTORS);
    // Called by DuckDB for each vector of the month while the output COPY runs (score-function.ts):
    // synchronous, on the JS thread, in no particular order.
    registerScoreFunction(conn, (batch) => {
      // The course's batch job scores trips of 1..60 minutes only (its read_data filter).
      const checked = validateTripChunk(batch, {
        ...request,
        requireCourseDuration: true,
        policy: validation,
      });
      const { reasons, validCount: valid } = checked;
      for (const [anomaly, n] of Object.entries(checked.anomalyCounts))
        anomalyCounts[anomaly] = (anomalyCounts[anomaly] ?? 0) + n;
      const pu = new Int32Array(valid);
      const dropoff = new Int32Array(valid);
      const distance = new Float32Array(valid);
      const actual = new Float32Array(valid);
      // TLC times are New York wall-clock read as UTC: the same encoding online and stream use.
      const pickupMs = new Float64Array(valid);
      for (let i = 0, j = 0; i < batch.length; i++) {
        if (reasons[i] !== 0) continue;
        pu[j] = batch.pu[i]!;
        dropoff[j] = batch.do[i]!;
        distance[j] = batch.distance[i]!;
        pickupMs[j] = batch.pickupMs[i]!;
        actual[j] = (batch.dropoffMs[i]! - batch.pickupMs[i]!) / 60_000;
        j++;
      }
      const rides = { pu, do: dropoff, distance, pickupMs };
      const predicted = loadedModel.predictSync(rides);
      recorder.push({ batch, checked, rides, actual, predicted });
      counters.rowsRead += batch.length;
      counters.rowsScored += valid;
      counters.rowsRejected += batch.length - valid;
      progress.update(counters);
      return { reasons, predicted };
    });

    const localOutput = path.join(scratch, 'predictions.parquet');
    const localRejects = path.join(scratch, 'rejects.parquet');
    // One pass: the COPY reads the month, scores each vector and writes the course's Parquet.
    await time('scoreMs', async () => {
      let copyError: Error | null = null;
      try {
        await conn.run(
          buildOutputCopy({
            ...request,
            columns,
            inputFile,
            modelVersion: loadedModel.version,
            target: localOutput,
          }),
        );
      } catch (error) {
        copyError = error as Error;
      }
      // A recording error is the cause when there is one (the COPY then failed with its message).
      recorder.drain();
      if (copyError) throw copyError;
    });
    predictionsAppender?.close();
    rejectsAppender.close();
    progress.stop();

    if (counters.rowsRead !== counters.totalRows) {
      throw new ScoreRunError(
        `read ${counters.rowsRead} rows but the file's metadata says ${counters.totalRows}`,
      );
    }
    phaseDone = SCORING_SHARE;
    const reasonCounts: Record<string, number> = {};
    rejectCounts.forEach((n, i) => {
      if (i > 0 && n > 0) reasonCounts[REJECT_REASONS[i]!] = n;
    });
    summary.addRejects(reasonCounts);

    // One DuckDB COPY keeps about one core busy: the rejects file and each challenger's file are
    // written at once, each on a connection of its own (two sibling files: 0.92 -> 0.46 s).
    const scoredChallengers = challengers.filter((c) => c.error === null);
    const duck = instance;
    const writerConnection = writer;
    if (keepsScoredRows) {
      // Appended in the order DuckDB scored the vectors: sorted once by row index, the Postgres
      // rows take the file's order straight from the table.
      await time('sortMs', () =>
        writerConnection.run(
          'CREATE OR REPLACE TABLE predictions AS SELECT * FROM predictions ORDER BY row_index',
        ),
      );
    }
    await time('writeMs', () =>
      Promise.all([
        time('writeRejectsMs', () =>
          writerConnection.run(buildRejectsCopy({ target: localRejects })),
        ),
        ...scoredChallengers.map(async (c) => {
          c.localFile = path.join(scratch, `challenger-${c.slot}.parquet`);
          const own = await duck.connect();
          try {
            await own.run(
              buildChallengerCopy({
                ...request,
                slot: c.slot,
                totalRows: counters.totalRows,
                modelVersion: c.version,
                target: c.localFile,
              }),
            );
          } finally {
            own.closeSync();
          }
        }),
      ]),
    );
    phaseDone = pool && deps.writePredictions ? 0.85 : 0.95;
    // Where the output's bytes can still be read locally once published (the Postgres rows).
    let publishedOutput = localOutput;
    await time('publishMs', async () => {
      publishedOutput = await publishFile(localOutput, request.outputUri, {
        s3: deps.s3,
        runId: request.runId,
      });
      await publishFile(localRejects, request.rejectsUri, { s3: deps.s3, runId: request.runId });
      for (const c of scoredChallengers) {
        c.outputUri = challengerOutputUri(request.outputUri, c.version);
        await publishFile(c.localFile!, c.outputUri, { s3: deps.s3, runId: request.runId });
      }
    });

    phaseDone = pool && deps.writePredictions ? 0.88 : 0.99;
    if (pool && deps.writePredictions && runKey !== null) {
      const key = runKey;
      await time('databaseMs', () =>
        deps.writePredictions!({
          pool,
          runKey: key,
          rows: readPredictionChunks(conn, publishedOutput, request),
        }),
      );
      // Always, even with no challenger: a rerun without them must drop the earlier run's rows.
      await time('databaseChallengersMs', () =>
        replaceRunChallengerPredictions({
          pool,
          runKey: key,
          rows: challengerRows(challengerColumns, scoredChallengers),
        }),
      );
    }

    const models: TRunModelResult[] = [
      {
        modelVersion: loadedModel.version,
        role: 'production',
        error: null,
        rowsScored: counters.rowsScored,
        metrics: productionMetrics.result(),
        agreement: null,
        outputUri: request.outputUri,
      },
      ...challengers.map((c) => ({
        modelVersion: c.version,
        role: 'challenger' as const,
        error: c.error,
        rowsScored: c.error === null ? counters.rowsScored : 0,
        metrics: c.error === null ? c.metrics.result() : createErrorMetrics().result(),
        agreement: c.error === null ? c.agreement.result() : null,
        outputUri: c.error === null ? (c.outputUri ?? null) : null,
      })),
    ];
    // Drift is recorded before the run is marked succeeded, so its cost is in the run's timings.
    const recordStart = performance.now();
    await recordRunDrift(
      [
        { version: loadedModel.version, drift: productionDrift },
        ...challengers.filter((c) => c.error === null),
      ],
      { runId: request.runId, periodStart: new Date(Date.UTC(request.year, request.month - 1, 1)) },
      runLog,
      models,
    );
    timings.monitoringMs = Math.round(monitoringMs + performance.now() - recordStart);
    timings.totalMs = Math.round(performance.now() - startedAt);
    const result: TScoreResult = {
      runId: request.runId,
      ...counters,
      outputUri: request.outputUri,
      rejectsUri: request.rejectsUri,
      modelName: loadedModel.name,
      modelVersion: loadedModel.version,
      models,
      summary: {
        ...summary.summarize(productionMetrics.result()),
        validation,
        anomaliesByReason: anomalyCounts,
        timings,
      },
    };
    await lifecycle.succeed({
      counters,
      summary: result.summary,
      models: models.map((m) => toMetricsRow(loadedModel.name, m)),
    });
    runLog.info(
      {
        rowsRead: result.rowsRead,
        rowsScored: result.rowsScored,
        rowsRejected: result.rowsRejected,
        validation,
        anomalies: anomalyCounts,
        models: models.map((m) => ({
          version: m.modelVersion,
          role: m.role,
          rmse: m.metrics.rmse,
          error: m.error,
        })),
        timings,
      },
      'run succeeded',
    );
    return result;
  } catch (error) {
    progress.stop();
    await lifecycle.stopHeartbeat();
    const message =
      error instanceof ScoreRunError ? error.message : `unexpected error: ${firstLine(error)}`;
    runLog.error({ err: error }, `run failed: ${message}`);
    await lifecycle.fail(message);
    throw error instanceof ScoreRunError ? error : new ScoreRunError(message, { cause: error });
  } finally {
    void lifecycle.stopHeartbeat();
    writer?.closeSync();
    connection?.closeSync();
    instance?.closeSync();
    await model?.close().catch(() => undefined);
    for (const c of challengers) await c.model?.close().catch(() => undefined);
    await removeScratch(scratch);
  }
}

async function removeStaleScratch(root: string, prefix: string): Promise<void> {
  const entries = await readdir(root).catch(() => [] as string[]);
  await Promise.all(
    entries
      .filter((name) => name.startsWith(prefix))
      .map((name) => removeScratch(path.join(root, name))),
  );
}

/** A challenger during a run: its slot in the run's challenger columns and its running figures. */
type TChallengerSlot = {
  version: string;
  /** Its index in the run's challenger columns (challenger-columns.ts). */
  slot: number;
  model: TLoadedModel | null;
  error: string | null;
  metrics: ReturnType<typeof createErrorMetrics>;
  agreement: ReturnType<typeof createAgreementAccumulator>;
  drift: TDriftTracker | null;
  localFile?: string;
  outputUri?: string;
};

/** The challengers to score beside `production`; a registry that cannot list them fails no run. */
async function loadChallengerSlots(
  deps: TScoreDeps,
  production: TLoadedModel,
  log: Logger,
  trackDrift: (model: TLoadedModel, role: 'challenger') => TDriftTracker | null,
): Promise<TChallengerSlot[]> {
  if (!deps.loadChallengers) return [];
  let found: TChallengerModel[];
  try {
    found = await deps.loadChallengers(production);
  } catch (error) {
    log.warn(
      { err: error },
      `challengers could not be listed, scoring with production only: ${firstLine(error)}`,
    );
    return [];
  }
  const slots = found
    // Promoted between the two registry reads: it is production now. A version given twice
    // scores once (its file and rows are named by version).
    .filter(
      (c, i, all) =>
        c.version !== production.version && all.findIndex((o) => o.version === c.version) === i,
    )
    .map((c, k) => ({
      version: c.version,
      slot: k,
      model: c.model,
      error: c.model ? null : `failed to load: ${c.error ?? 'unknown error'}`,
      metrics: createErrorMetrics(),
      agreement: createAgreementAccumulator(),
      drift: c.model ? trackDrift(c.model, 'challenger') : null,
    }));
  for (const slot of slots) {
    if (slot.error)
      log.warn({ challenger: slot.version }, `challenger ${slot.version} skipped: ${slot.error}`);
    else log.info({ challenger: slot.version }, 'challenger loaded');
  }
  return slots;
}

/**
 * One predict call per live challenger on the vector production just scored, kept in `columns` by
 * row index. A challenger that throws is marked failed from then on (its partial figures are
 * worthless) and the run goes on.
 */
function scoreChallengers(
  slots: TChallengerSlot[],
  rides: Parameters<TLoadedModel['predict']>[0],
  production: { rowIndex: Int32Array; predicted: Float32Array; actual: Float32Array },
  columns: TChallengerColumns,
  log: Logger,
  /** Time spent on the challenger's figures and drift (the run's monitoring cost). */
  addMonitoringMs: (ms: number) => void,
): void {
  const valid = production.rowIndex.length;
  for (const slot of slots) {
    if (slot.error !== null || !slot.model) continue;
    try {
      const predicted = slot.model.predictSync(rides);
      if (predicted.length !== valid)
        throw new Error(`returned ${predicted.length} predictions for ${valid} rows`);
      const monitorStart = performance.now();
      slot.metrics.add(predicted, production.actual, valid);
      slot.agreement.add(predicted, production.predicted, valid);
      slot.drift?.add({ ...rides, predicted }, valid);
      addMonitoringMs(performance.now() - monitorStart);
      columns.set(slot.slot, production.rowIndex, predicted);
    } catch (error) {
      slot.error = `failed to score: ${firstLine(error)}`;
      log.warn(
        { challenger: slot.version, err: error },
        `challenger ${slot.version} skipped: ${slot.error}`,
      );
    }
  }
}

/** The file row index of each scored row of a vector (reason 0), in row order. */
function scoredRowIndex(rowIndex: Int32Array, reasons: Uint8Array, valid: number): Int32Array {
  const out = new Int32Array(valid);
  for (let i = 0, j = 0; i < reasons.length; i++) if (reasons[i] === 0) out[j++] = rowIndex[i]!;
  return out;
}

/** Each scored challenger's predictions as batch_challenger_predictions rows, in file order. */
function* challengerRows(
  columns: TChallengerColumns | null,
  scored: readonly TChallengerSlot[],
): Generator<{ modelVersion: string; rowIndex: Int32Array; predicted: Float32Array }> {
  if (!columns) return;
  for (const c of scored)
    for (const chunk of columns.chunks(c.slot, 65_536)) yield { modelVersion: c.version, ...chunk };
}

type TDriftTracker = ReturnType<typeof createRunDriftTracker>;

/** Drift never fails a run that has succeeded: a failure to record it is logged. */
async function recordRunDrift(
  models: { version: string; drift: TDriftTracker | null }[],
  run: { runId: string; periodStart: Date },
  log: Logger,
  results: readonly TRunModelResult[],
): Promise<void> {
  for (const { version, drift } of models) {
    if (!drift) continue;
    try {
      // With the run's RMSE, an error far above the version's validation RMSE alerts too.
      const rmse = results.find((r) => r.modelVersion === version)?.metrics.rmse ?? null;
      await drift.record({ ...run, rmse });
    } catch (error) {
      log.warn(
        { err: error, model: version },
        `drift of ${version} not recorded: ${firstLine(error)}`,
      );
    }
  }
}

function toMetricsRow(modelName: string, m: TRunModelResult): TNewRunModelMetrics {
  return {
    modelName,
    modelVersion: m.modelVersion,
    role: m.role,
    error: m.error,
    rowsScored: m.rowsScored,
    rowsWithActual: m.metrics.rows,
    rmse: m.metrics.rmse,
    mae: m.metrics.mae,
    bias: m.metrics.bias,
    shareOff10Min: m.metrics.shareOff10Minutes,
    agreement: m.agreement,
    outputUri: m.outputUri,
  };
}
