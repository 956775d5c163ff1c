// Batch runs (table batch_runs), the one module for them: what the console lists and shows
// (Prisma reads), and the lifecycle writes a scorer process makes wherever it runs (child
// process, ECS task). The writes are plain SQL over a pg pool: each is one conditional
// statement (a claim refuses a run another live process holds; progress lands only while the
// run is running), which Prisma's update cannot express.
import type { Pool } from 'pg';
import type { Prisma, TDb } from '../client';
import type { RunStatus, RunTrigger, TaxiType } from '../generated/prisma/enums';

const BATCH_RUN_LIST_SELECT = {
  id: true,
  key: true,
  taxiType: true,
  year: true,
  month: true,
  trigger: true,
  status: true,
  progress: true,
  rowsRead: true,
  rowsScored: true,
  rowsRejected: true,
  modelName: true,
  modelVersion: true,
  error: true,
  backfillId: true,
  createdAt: true,
  startedAt: true,
  finishedAt: true,
} as const satisfies Prisma.BatchRunSelect;

const BATCH_RUN_DETAIL_SELECT = {
  ...BATCH_RUN_LIST_SELECT,
  inputUri: true,
  outputUri: true,
  rejectsUri: true,
  summary: true,
  requestedBy: true,
  heartbeatAt: true,
} as const satisfies Prisma.BatchRunSelect;

export type TBatchRunListItem = Prisma.BatchRunGetPayload<{ select: typeof BATCH_RUN_LIST_SELECT }>;
export type TBatchRunDetail = Prisma.BatchRunGetPayload<{ select: typeof BATCH_RUN_DETAIL_SELECT }>;
export type TPage<T, C = string> = { items: T[]; nextCursor: C | null };

export type TListBatchRunsOptions = {
  limit: number;
  /** `id` of the last run of the previous page. */
  cursor?: string | null;
  status?: RunStatus;
  taxiType?: TaxiType;
  backfillId?: string;
  /** The scored month (both, or year alone). */
  year?: number;
  month?: number;
};

/** Newest first, keyset-paged. */
export async function listBatchRuns(
  db: TDb,
  { limit, cursor, status, taxiType, backfillId, year, month }: TListBatchRunsOptions,
): Promise<TPage<TBatchRunListItem>> {
  const rows = await db.batchRun.findMany({
    select: BATCH_RUN_LIST_SELECT,
    where: { status, taxiType, backfillId, year, month },
    orderBy: [{ createdAt: 'desc' }, { key: 'desc' }],
    take: limit + 1,
    ...(cursor ? { cursor: { id: cursor }, skip: 1 } : {}),
  });
  const hasMore = rows.length > limit;
  const items = hasMore ? rows.slice(0, limit) : rows;
  return { items, nextCursor: hasMore ? (items.at(-1)?.id ?? null) : null };
}

export async function getBatchRun(db: TDb, id: string): Promise<TBatchRunDetail | null> {
  return db.batchRun.findUnique({ where: { id }, select: BATCH_RUN_DETAIL_SELECT });
}

export type TRunTrigger = RunTrigger;

export type TNewRun = {
  id: string;
  taxiType: TaxiType;
  year: number;
  month: number;
  inputUri: string;
  outputUri: string | null;
  rejectsUri: string | null;
  modelName?: string | null;
  trigger: RunTrigger;
  requestedBy?: string | null;
  backfillId?: string | null;
};

export type TRunRecord<TSummary = unknown> = {
  id: string;
  key: number;
  taxiType: TaxiType;
  year: number;
  month: number;
  inputUri: string;
  outputUri: string | null;
  rejectsUri: string | null;
  modelName: string | null;
  modelVersion: string | null;
  trigger: RunTrigger;
  status: RunStatus;
  progress: number;
  rowsRead: number;
  rowsScored: number;
  rowsRejected: number;
  /** The scorer's statistics (JSON); the caller names its shape. */
  summary: TSummary | null;
  error: string | null;
  backfillId: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  heartbeatAt: Date | null;
};

const RUN_COLUMNS = `id, key, taxi_type AS "taxiType", year, month, input_uri AS "inputUri", output_uri AS "outputUri",
  rejects_uri AS "rejectsUri", model_name AS "modelName", model_version AS "modelVersion", trigger, status, progress,
  rows_read AS "rowsRead", rows_scored AS "rowsScored", rows_rejected AS "rowsRejected", summary, error,
  backfill_id AS "backfillId", created_at AS "createdAt", started_at AS "startedAt", finished_at AS "finishedAt",
  heartbeat_at AS "heartbeatAt"`;

/** Creates the queued record; an existing record with the same id is kept as it is (a rerun). */
export async function createRunRecord(pool: Pool, run: TNewRun): Promise<TRunRecord> {
  await pool.query(
    `INSERT INTO batch_runs (id, taxi_type, year, month, input_uri, output_uri, rejects_uri, model_name, trigger,
       requested_by, backfill_id, status)
     VALUES ($1, $2::"TaxiType", $3, $4, $5, $6, $7, $8, $9::"RunTrigger", $10, $11, 'queued')
     ON CONFLICT (id) DO NOTHING`,
    [
      run.id,
      run.taxiType,
      run.year,
      run.month,
      run.inputUri,
      run.outputUri,
      run.rejectsUri,
      run.modelName ?? null,
      run.trigger,
      run.requestedBy ?? null,
      run.backfillId ?? null,
    ],
  );
  const record = await getRunRecord(pool, run.id);
  if (!record) throw new Error(`run ${run.id}: record vanished right after it was created`);
  return record;
}

export async function getRunRecord<TSummary = unknown>(
  pool: Pool,
  runId: string,
): Promise<TRunRecord<TSummary> | null> {
  const { rows } = await pool.query<TRunRecord<TSummary>>(
    `SELECT ${RUN_COLUMNS} FROM batch_runs WHERE id = $1`,
    [runId],
  );
  return rows[0] ?? null;
}

/**
 * Claims the run: status running, counters reset, heartbeat now. Refuses when another process
 * holds it (running with a heartbeat younger than `staleAfterMs`), so two scorers never write
 * the same run at once; a run left running by a killed process can be claimed once it is stale.
 */
export async function claimRun(
  pool: Pool,
  options: {
    runId: string;
    staleAfterMs: number;
    inputUri: string;
    outputUri: string | null;
    rejectsUri: string | null;
  },
): Promise<TRunRecord> {
  const { rows } = await pool.query<{ id: string }>(
    `UPDATE batch_runs SET status = 'running', progress = 0, rows_read = 0, rows_scored = 0, rows_rejected = 0,
       summary = NULL, error = NULL, started_at = now(), finished_at = NULL, heartbeat_at = now(),
       input_uri = $3, output_uri = $4, rejects_uri = $5
     WHERE id = $1 AND NOT (status = 'running' AND heartbeat_at > now() - make_interval(secs => $2::double precision / 1000))
     RETURNING id`,
    [options.runId, options.staleAfterMs, options.inputUri, options.outputUri, options.rejectsUri],
  );
  if (rows.length === 0) {
    const existing = await getRunRecord(pool, options.runId);
    if (!existing) throw new Error(`run ${options.runId}: no such run record`);
    throw new Error(
      `run ${options.runId} is already running (heartbeat ${existing.heartbeatAt?.toISOString() ?? 'unknown'}); ` +
        `rerun it after it finishes or after its heartbeat is ${options.staleAfterMs} ms old`,
    );
  }
  const record = await getRunRecord(pool, options.runId);
  return record!;
}

export type TRunProgress = {
  progress: number;
  rowsRead: number;
  rowsScored: number;
  rowsRejected: number;
};

/** Progress and heartbeat in one write; only while this run is still running. */
export async function recordRunProgress(
  pool: Pool,
  runId: string,
  progress: TRunProgress,
): Promise<void> {
  await pool.query(
    `UPDATE batch_runs SET progress = $2, rows_read = $3, rows_scored = $4, rows_rejected = $5, heartbeat_at = now()
     WHERE id = $1 AND status = 'running'`,
    [
      runId,
      Math.min(1, Math.max(0, progress.progress)),
      progress.rowsRead,
      progress.rowsScored,
      progress.rowsRejected,
    ],
  );
}

export async function recordRunModel(
  pool: Pool,
  runId: string,
  model: { name: string; version: string },
): Promise<void> {
  await pool.query(
    `UPDATE batch_runs SET model_name = $2, model_version = $3, heartbeat_at = now() WHERE id = $1`,
    [runId, model.name, model.version],
  );
}

export async function completeRun(
  pool: Pool,
  runId: string,
  result: TRunProgress & { summary: unknown },
): Promise<void> {
  await pool.query(
    `UPDATE batch_runs SET status = 'succeeded', progress = 1, rows_read = $2, rows_scored = $3, rows_rejected = $4,
       summary = $5::jsonb, error = NULL, finished_at = now(), heartbeat_at = now()
     WHERE id = $1`,
    [
      runId,
      result.rowsRead,
      result.rowsScored,
      result.rowsRejected,
      JSON.stringify(result.summary),
    ],
  );
}

export async function failRun(pool: Pool, runId: string, error: string): Promise<void> {
  await pool.query(
    `UPDATE batch_runs SET status = 'failed', error = $2, finished_at = now() WHERE id = $1 AND status <> 'succeeded'`,
    [runId, error],
  );
}

/**
 * Marks failed every run whose process stopped reporting: running with a heartbeat older than
 * `staleAfterMs`, or queued for longer than `queuedTimeoutMs` (its process never started).
 * Returns the ids it failed.
 */
export async function reapStaleRuns(
  pool: Pool,
  options: { staleAfterMs: number; queuedTimeoutMs?: number },
): Promise<string[]> {
  const queuedTimeoutMs = options.queuedTimeoutMs ?? 10 * 60_000;
  const { rows } = await pool.query<{ id: string }>(
    `UPDATE batch_runs SET status = 'failed', finished_at = now(),
       error = CASE WHEN status = 'running'
         THEN 'heartbeat stopped: no progress reported since ' || to_char(heartbeat_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || ' (the scorer process died or was killed); rerun the run id to resume'
         ELSE 'never started: queued since ' || to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || ' without a scorer picking it up' END
     WHERE (status = 'running' AND (heartbeat_at IS NULL OR heartbeat_at < now() - make_interval(secs => $1::double precision / 1000)))
        OR (status = 'queued' AND created_at < now() - make_interval(secs => $2::double precision / 1000))
     RETURNING id`,
    [options.staleAfterMs, queuedTimeoutMs],
  );
  return rows.map((r) => r.id);
}
