// Training jobs (table training_jobs), the one module for them. The launcher creates a queued
// job; the train CLI (`train --job-id`, a child process or an ECS task) claims it, reports its
// phase, progress and log lines with a heartbeat, and finishes it with the registered version and
// card, or fails it with the error; the reaper fails a job whose process stopped reporting. The
// writes are plain SQL over a pg pool, each one conditional statement (a finished job never
// becomes running again; progress lands only while the job runs), as for batch runs (runs.ts).
// The console's reads go through Prisma with explicit selects.
import type { Pool } from 'pg';
import type { Prisma, TDb } from '../client';
import type { RunStatus } from '../generated/prisma/enums';
import type { TPage } from './runs';

/** How much of the train CLI's output a job keeps: the tail, older lines are dropped. */
export const TRAINING_LOG_TAIL_CHARS = 64 * 1024;

/** The phases the train CLI reports, in order. */
export const TRAINING_PHASES = [
  'reading months',
  'fitting',
  'validating',
  'exporting',
  'registering',
] as const;
export type TTrainingPhase = (typeof TRAINING_PHASES)[number];

const TRAINING_JOB_LIST_SELECT = {
  id: true,
  modelName: true,
  recipe: true,
  trainMonths: true,
  validationMonth: true,
  status: true,
  phase: true,
  progress: true,
  rowsRead: true,
  modelVersion: true,
  error: true,
  requestedBy: true,
  createdAt: true,
  startedAt: true,
  finishedAt: true,
} as const satisfies Prisma.TrainingJobSelect;

const TRAINING_JOB_DETAIL_SELECT = {
  ...TRAINING_JOB_LIST_SELECT,
  params: true,
  trainUris: true,
  validationUri: true,
  logTail: true,
  launchedAs: true,
  card: true,
  heartbeatAt: true,
} as const satisfies Prisma.TrainingJobSelect;

export type TTrainingJobListItem = Prisma.TrainingJobGetPayload<{
  select: typeof TRAINING_JOB_LIST_SELECT;
}>;
export type TTrainingJobDetail = Prisma.TrainingJobGetPayload<{
  select: typeof TRAINING_JOB_DETAIL_SELECT;
}>;

/** Newest first, keyset-paged on (created_at, id). */
export async function listTrainingJobs(
  db: TDb,
  { limit, cursor }: { limit: number; cursor?: string | null },
): Promise<TPage<TTrainingJobListItem>> {
  const rows = await db.trainingJob.findMany({
    select: TRAINING_JOB_LIST_SELECT,
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: limit + 1,
    ...(cursor ? { cursor: { id: cursor }, skip: 1 } : {}),
  });
  const hasMore = rows.length > limit;
  const items = hasMore ? rows.slice(0, limit) : rows;
  return { items, nextCursor: hasMore ? (items.at(-1)?.id ?? null) : null };
}

export async function getTrainingJob(db: TDb, id: string): Promise<TTrainingJobDetail | null> {
  return db.trainingJob.findUnique({ where: { id }, select: TRAINING_JOB_DETAIL_SELECT });
}

export type TNewTrainingJob = {
  id: string;
  modelName: string;
  recipe: string;
  params: Record<string, unknown>;
  trainMonths: string[];
  trainUris: string[];
  validationMonth: string | null;
  validationUri: string | null;
  requestedBy: string;
};

/** The job as its process sees it (plain SQL, for the train CLI and the launcher). */
export type TTrainingJobRecord = TNewTrainingJob & {
  status: RunStatus;
  phase: string | null;
  progress: number;
  rowsRead: number;
  logTail: string;
  launchedAs: string | null;
  modelVersion: string | null;
  card: unknown;
  error: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  heartbeatAt: Date | null;
};

const JOB_COLUMNS = `id, model_name AS "modelName", recipe, params, train_months AS "trainMonths",
  train_uris AS "trainUris", validation_month AS "validationMonth", validation_uri AS "validationUri",
  status, phase, progress, rows_read AS "rowsRead", log_tail AS "logTail", launched_as AS "launchedAs",
  model_version AS "modelVersion", card, error, requested_by AS "requestedBy", created_at AS "createdAt",
  started_at AS "startedAt", finished_at AS "finishedAt", heartbeat_at AS "heartbeatAt"`;

export async function createTrainingJob(
  pool: Pick<Pool, 'query'>,
  job: TNewTrainingJob,
): Promise<TTrainingJobRecord> {
  const { rows } = await pool.query<TTrainingJobRecord>(
    `INSERT INTO training_jobs (id, model_name, recipe, params, train_months, train_uris, validation_month,
       validation_uri, requested_by, status)
     VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9, 'queued')
     RETURNING ${JOB_COLUMNS}`,
    [
      job.id,
      job.modelName,
      job.recipe,
      JSON.stringify(job.params),
      job.trainMonths,
      job.trainUris,
      job.validationMonth,
      job.validationUri,
      job.requestedBy,
    ],
  );
  return rows[0]!;
}

export async function getTrainingJobRecord(
  pool: Pick<Pool, 'query'>,
  id: string,
): Promise<TTrainingJobRecord | null> {
  const { rows } = await pool.query<TTrainingJobRecord>(
    `SELECT ${JOB_COLUMNS} FROM training_jobs WHERE id = $1`,
    [id],
  );
  return rows[0] ?? null;
}

/** How the launcher started the job's process (`local pid <n>`, an ECS task ARN). */
export async function recordTrainingLaunch(
  pool: Pick<Pool, 'query'>,
  id: string,
  launchedAs: string,
): Promise<void> {
  await pool.query(`UPDATE training_jobs SET launched_as = $2 WHERE id = $1`, [id, launchedAs]);
}

/**
 * The train CLI takes the job: running, heartbeat now. Only a queued job can be claimed, so a
 * second process started for the same job (a retried ECS task, a mistyped --job-id) refuses to
 * train rather than race the first; a finished job stays finished.
 */
export async function claimTrainingJob(
  pool: Pick<Pool, 'query'>,
  id: string,
): Promise<TTrainingJobRecord> {
  const { rows } = await pool.query<TTrainingJobRecord>(
    `UPDATE training_jobs SET status = 'running', started_at = now(), heartbeat_at = now(), error = NULL
     WHERE id = $1 AND status = 'queued'
     RETURNING ${JOB_COLUMNS}`,
    [id],
  );
  if (rows[0]) return rows[0];
  const existing = await getTrainingJobRecord(pool, id);
  if (!existing) throw new Error(`training job ${id}: no such job`);
  throw new Error(
    `training job ${id} is ${existing.status}, not queued: it cannot be started again`,
  );
}

export type TTrainingProgress = {
  phase?: TTrainingPhase;
  /** 0..1 */
  progress?: number;
  rowsRead?: number;
  /** Log lines to append (each without its newline). */
  logLines?: string[];
};

/**
 * Progress, log lines and the heartbeat in one write; only while the job is running. An empty
 * report is a bare heartbeat. Returns false when the job is no longer running (reaped, or
 * finished by someone else): the process should stop.
 */
export async function recordTrainingProgress(
  pool: Pick<Pool, 'query'>,
  id: string,
  report: TTrainingProgress = {},
): Promise<boolean> {
  const appended = report.logLines?.length ? `${report.logLines.join('\n')}\n` : '';
  const { rowCount } = await pool.query(
    `UPDATE training_jobs SET heartbeat_at = now(),
       phase = COALESCE($2, phase),
       progress = COALESCE($3, progress),
       rows_read = COALESCE($4, rows_read),
       log_tail = right(log_tail || $5, $6)
     WHERE id = $1 AND status = 'running'`,
    [
      id,
      report.phase ?? null,
      report.progress === undefined ? null : Math.min(1, Math.max(0, report.progress)),
      report.rowsRead ?? null,
      appended,
      TRAINING_LOG_TAIL_CHARS,
    ],
  );
  return (rowCount ?? 0) > 0;
}

/** Succeeded: the registered candidate version and its card. Only a running job finishes. */
export async function completeTrainingJob(
  pool: Pick<Pool, 'query'>,
  id: string,
  result: { modelVersion: string; card: unknown; logLines?: string[] },
): Promise<void> {
  const appended = result.logLines?.length ? `${result.logLines.join('\n')}\n` : '';
  await pool.query(
    `UPDATE training_jobs SET status = 'succeeded', progress = 1, model_version = $2, card = $3::jsonb,
       error = NULL, finished_at = now(), heartbeat_at = now(), log_tail = right(log_tail || $4, $5)
     WHERE id = $1 AND status = 'running'`,
    [id, result.modelVersion, JSON.stringify(result.card), appended, TRAINING_LOG_TAIL_CHARS],
  );
}

/** Failed with the reason; a job that already succeeded keeps its result. */
export async function failTrainingJob(
  pool: Pick<Pool, 'query'>,
  id: string,
  error: string,
  options: { logLines?: string[] } = {},
): Promise<void> {
  const appended = options.logLines?.length ? `${options.logLines.join('\n')}\n` : '';
  await pool.query(
    `UPDATE training_jobs SET status = 'failed', error = $2, finished_at = now(),
       log_tail = right(log_tail || $3, $4)
     WHERE id = $1 AND status IN ('queued', 'running')`,
    [id, error, appended, TRAINING_LOG_TAIL_CHARS],
  );
}

/**
 * Marks failed every job whose process stopped reporting: running with a heartbeat older than
 * `staleAfterMs`, or queued for longer than `queuedTimeoutMs` (its process never started, e.g.
 * an ECS task that could not pull its image). The reason says which, and since when. Returns the
 * ids it failed.
 */
export async function reapStaleTrainingJobs(
  pool: Pick<Pool, 'query'>,
  options: { staleAfterMs: number; queuedTimeoutMs?: number },
): Promise<string[]> {
  const queuedTimeoutMs = options.queuedTimeoutMs ?? 10 * 60_000;
  const { rows } = await pool.query<{ id: string }>(
    `UPDATE training_jobs SET status = 'failed', finished_at = now(),
       error = CASE WHEN status = 'running'
         THEN 'heartbeat stopped: no report from the training process since ' || to_char(heartbeat_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || ' during ' || COALESCE(phase, 'start-up') || ' (it died or was killed); start the job again'
         ELSE 'never started: queued since ' || to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || ' without a training process claiming it' END
     WHERE (status = 'running' AND (heartbeat_at IS NULL OR heartbeat_at < now() - make_interval(secs => $1::double precision / 1000)))
        OR (status = 'queued' AND created_at < now() - make_interval(secs => $2::double precision / 1000))
     RETURNING id`,
    [options.staleAfterMs, queuedTimeoutMs],
  );
  return rows.map((r) => r.id);
}
