// Starts a batch run for the console: creates the queued run record, then starts a scorer that
// claims it. Locally a detached child process (it outlives a console restart); on AWS an ECS
// RunTask of the scorer's task definition (SCORER_LAUNCHER=ecs). Either way the run record in
// Postgres is how the scorer reports back, and the reaper fails a run whose scorer never shows up.
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, closeSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { ECSClient, RunTaskCommand } from '@aws-sdk/client-ecs';
import { objectExists } from '@tripcast/model/object-store';
import { z } from 'zod';
import type { Pool } from 'pg';

import { getChildProcessEnv, getScorerEnv, type TScorerEnv } from './env';
import { resolveRunLocations } from './paths';
import { createRunId, checkRunId } from './run-id';
import { insertAuditEntry } from '@tripcast/db/queries/audit';
import { createRunRecord, failRun, reapStaleRuns } from '@tripcast/db/queries/runs';
import { ZTaxiType } from '@tripcast/model';
import { s3OptionsFromEnv } from '@tripcast/model/object-store';
import { createPool } from './runtime-deps';
import { describeAddingMonth, findStoreMonth, listStoreMonths, tripDataRoot, type TStoreMonth } from './store-months';
import { formatPattern, type TTaxiType } from './paths';

export const ZLaunchRequest = z.object({
  taxiType: ZTaxiType,
  year: z.number().int().min(2009).max(2100).describe('year of the month to score'),
  month: z.number().int().min(1).max(12).describe('month to score, 1..12'),
  input: z.string().min(1).optional().describe('input Parquet path, s3:// URI or course pattern; default the store layout'),
  output: z.string().min(1).optional().describe('output root or .parquet file; default <store>/predictions'),
  model: z.string().regex(/^[A-Za-z0-9_.-]+(@[A-Za-z0-9_.-]+)?$/).optional().describe('name[@version]; default production of MODEL_NAME'),
  runId: z.string().optional().describe('rerun this run id (replaces its output and rows)'),
  trigger: z.enum(['manual', 'schedule', 'backfill', 'cli']).default('manual'),
  validation: z
    .enum(['course', 'strict'])
    .default('course')
    .describe("course: score what the course's score.py scores, flag anomalies; strict: reject them"),
  requestedBy: z.string().max(200).optional(),
});
export type TLaunchRequest = z.input<typeof ZLaunchRequest>;

const ZMonth = z.object({ year: z.number().int().min(2009).max(2100), month: z.number().int().min(1).max(12) });

/** Each month of a backfill starts its own scorer: keep one backfill from swamping a small machine. */
export const MAX_BACKFILL_MONTHS = 12;

export const ZBackfillRequest = z.object({
  taxiType: ZTaxiType,
  from: ZMonth.describe('first month'),
  to: ZMonth.describe('last month (inclusive)'),
  validation: ZLaunchRequest.shape.validation,
  /** Who asked: the run records and the audit row name them. */
  requestedBy: z.string().min(1).max(200),
});
export type TBackfillRequest = z.input<typeof ZBackfillRequest>;

/** A backfill that cannot start as asked (its range, or months missing from the store): nothing was created. */
export class BackfillRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackfillRefusedError';
  }
}

/** The month asked for has no input file: nothing was created. */
export class MonthNotInStoreError extends Error {
  readonly month: { taxiType: TTaxiType; year: number; month: number };
  constructor(month: { taxiType: TTaxiType; year: number; month: number }, message: string) {
    super(message);
    this.name = 'MonthNotInStoreError';
    this.month = { taxiType: month.taxiType, year: month.year, month: month.month };
  }
}

function describeMonth(month: { taxiType: string; year: number; month: number }): string {
  return `${month.taxiType} ${month.year}-${String(month.month).padStart(2, '0')}`;
}

/** The months the store can score (its trip-data folder), newest first; for the console's trigger form. */
export async function listScorableMonths(options: { env?: TScorerEnv } = {}): Promise<{ months: TStoreMonth[]; tripDataUri: string }> {
  const env = options.env ?? getScorerEnv();
  return {
    months: await listStoreMonths(env.objectStoreUri, { s3: s3OptionsFromEnv(env) }),
    tripDataUri: tripDataRoot(env.objectStoreUri),
  };
}

export type TLaunchResult =
  | { runId: string; mode: 'local'; pid: number; logFile: string }
  | { runId: string; mode: 'ecs'; taskArn: string };

export type TLaunchOptions = {
  env?: TScorerEnv;
  /** Reuse the caller's pool (the console has one); otherwise one is opened for the call. */
  pool?: Pool;
  ecs?: ECSClient;
  /** Environment of the child scorer (local mode); default this process's. */
  processEnv?: NodeJS.ProcessEnv;
  /**
   * An audit row to record once the run has started (actor: the request's requestedBy; target:
   * the new run), as launchBackfill records its own: the console's trigger and retry pass theirs.
   */
  audit?: { action: string; details?: unknown };
};

const SCORER_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'scorer.js');

/** The scorer's argv for one run (same for the child process and the ECS container command). */
export function buildRunArgs(request: z.output<typeof ZLaunchRequest> & { runId: string }): string[] {
  const args = ['run', '--run-id', request.runId, '--taxi-type', request.taxiType, '--year', String(request.year), '--month', String(request.month)];
  args.push('--trigger', request.trigger);
  if (request.input) args.push('--input', request.input);
  if (request.output) args.push('--output', request.output);
  if (request.model) args.push('--model', request.model);
  if (request.validation !== 'course') args.push('--validation', request.validation);
  return args;
}

export async function launchRun(input: TLaunchRequest, options: TLaunchOptions = {}): Promise<TLaunchResult> {
  const request = ZLaunchRequest.parse(input);
  const env = options.env ?? getScorerEnv();
  // The child scorer reads --input, else INPUT_FILE_PATTERN, else the store's file of the month.
  const inputPattern = request.input ?? env.INPUT_FILE_PATTERN;
  // A month the store does not have is refused first, before a run record (or a pool) exists.
  const inputUri = await checkLaunchInput(env, request, inputPattern);
  if (!options.pool && !env.DATABASE_URL) throw new Error('DATABASE_URL is required to launch a run (the run record lives in Postgres)');
  const pool = options.pool ?? createPool(env.DATABASE_URL!);
  try {
    const runId = request.runId ? checkRunId(request.runId) : createRunId(request.taxiType, request);
    const locations = resolveRunLocations({
      storeUri: env.objectStoreUri,
      values: { taxiType: request.taxiType, year: request.year, month: request.month, runId },
      input: inputPattern,
      output: request.output,
    });
    locations.inputUri = inputUri;
    await createRunRecord(pool, {
      id: runId,
      ...request,
      ...locations,
      modelName: request.model?.split('@')[0] ?? env.MODEL_NAME,
      requestedBy: request.requestedBy ?? null,
    });
    const args = buildRunArgs({ ...request, runId });
    let launched: TLaunchResult;
    try {
      launched =
        env.SCORER_LAUNCHER === 'ecs'
          ? await startEcsTask({ env, args, runId, ecs: options.ecs })
          : startChildProcess({ env, args, runId, processEnv: options.processEnv ?? getChildProcessEnv() });
    } catch (error) {
      const message = `could not start the scorer: ${error instanceof Error ? error.message : String(error)}`;
      await failRun(pool, runId, message);
      throw new Error(message, { cause: error });
    }
    if (options.audit) {
      await insertAuditEntry(pool, {
        actor: request.requestedBy ?? 'unknown',
        action: options.audit.action,
        targetType: 'batch_run',
        targetId: runId,
        details: options.audit.details,
      });
    }
    return launched;
  } finally {
    if (!options.pool) await pool.end();
  }
}

/**
 * One run per month from `from` to `to`, oldest first, each its own scorer (as `launchRun`), and
 * one `run.backfill` audit row naming them all. Every month must be in the store before any run
 * is created; otherwise the backfill is refused naming the missing months.
 */
export async function launchBackfill(input: TBackfillRequest, options: TLaunchOptions = {}): Promise<{ runIds: string[] }> {
  const request = ZBackfillRequest.parse(input);
  const env = options.env ?? getScorerEnv();
  const first = request.from.year * 12 + (request.from.month - 1);
  const count = request.to.year * 12 + (request.to.month - 1) - first + 1;
  if (count < 1) throw new BackfillRefusedError('to must be the same month as from or later');
  if (count > MAX_BACKFILL_MONTHS) throw new BackfillRefusedError(`a backfill covers at most ${MAX_BACKFILL_MONTHS} months`);
  const months = Array.from({ length: count }, (_, i) => ({ taxiType: request.taxiType, year: Math.floor((first + i) / 12), month: ((first + i) % 12) + 1 }));
  const missing: string[] = [];
  for (const month of months) {
    try {
      await checkLaunchInput(env, month, env.INPUT_FILE_PATTERN);
    } catch (error) {
      if (!(error instanceof MonthNotInStoreError)) throw error;
      missing.push(`${month.year}-${String(month.month).padStart(2, '0')}`);
    }
  }
  if (missing.length > 0) {
    const where = env.INPUT_FILE_PATTERN ? `at ${env.INPUT_FILE_PATTERN}` : 'in the store';
    throw new BackfillRefusedError(`no ${request.taxiType} trip data ${where} for ${missing.join(', ')}: add those months first`);
  }
  if (!options.pool && !env.DATABASE_URL) throw new Error('DATABASE_URL is required to launch a run (the run record lives in Postgres)');
  const pool = options.pool ?? createPool(env.DATABASE_URL!);
  try {
    const runIds: string[] = [];
    for (const month of months) {
      const run = await launchRun(
        { ...month, trigger: 'backfill', validation: request.validation, requestedBy: request.requestedBy },
        { ...options, audit: undefined, env, pool },
      );
      runIds.push(run.runId);
    }
    await insertAuditEntry(pool, {
      actor: request.requestedBy,
      action: 'run.backfill',
      targetType: 'batch_run',
      targetId: runIds.join(','),
      details: { taxiType: request.taxiType, from: request.from, to: request.to, runIds },
    });
    return { runIds };
  } finally {
    if (!options.pool) await pool.end();
  }
}

/** The input the run will read: the pattern's file or the store's month; refused when absent. */
async function checkLaunchInput(
  env: TScorerEnv,
  request: { taxiType: TTaxiType; year: number; month: number },
  input: string | undefined,
): Promise<string> {
  const s3 = s3OptionsFromEnv(env);
  if (input) {
    const uri = formatPattern(input, request);
    if (!(await objectExists(uri, { s3 }))) throw new MonthNotInStoreError(request, `input not found: ${uri}`);
    return uri;
  }
  const found = await findStoreMonth(env.objectStoreUri, request, { s3 });
  if (!found) {
    throw new MonthNotInStoreError(
      request,
      `no trip data for ${describeMonth(request)} in the store: ${describeAddingMonth(env.objectStoreUri, request)}`,
    );
  }
  return found.uri;
}

function startChildProcess(options: { env: TScorerEnv; args: string[]; runId: string; processEnv: NodeJS.ProcessEnv }): TLaunchResult {
  const logDir = path.join(options.env.tripcastHome, 'logs');
  mkdirSync(logDir, { recursive: true });
  const logFile = path.join(logDir, `scorer-${options.runId}.log`);
  const fd = openSync(logFile, 'a');
  try {
    // Detached + unref: the run survives the console; its output goes to the log file.
    const child = spawn(process.execPath, [SCORER_BIN, ...options.args], {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: options.processEnv,
    });
    if (child.pid === undefined) throw new Error(`spawn ${process.execPath} failed`);
    child.unref();
    return { runId: options.runId, mode: 'local', pid: child.pid, logFile };
  } finally {
    closeSync(fd);
  }
}

async function startEcsTask(options: { env: TScorerEnv; args: string[]; runId: string; ecs?: ECSClient }): Promise<TLaunchResult> {
  const { env } = options;
  if (!env.ECS_CLUSTER || !env.ECS_TASK_DEFINITION) {
    throw new Error('SCORER_LAUNCHER=ecs needs ECS_CLUSTER and ECS_TASK_DEFINITION');
  }
  const taskArn = await runEcsTask({
    env,
    ecs: options.ecs,
    taskDefinition: env.ECS_TASK_DEFINITION,
    containerName: env.ECS_CONTAINER_NAME,
    command: options.args,
    startedBy: `tripcast-${options.runId}`,
  });
  return { runId: options.runId, mode: 'ecs', taskArn };
}

/**
 * One ECS RunTask on the configured cluster and subnets with a container command override: the
 * scorer's runs and the trainer's jobs (train-launcher.ts) start the same way. Returns the task ARN.
 */
export async function runEcsTask(options: {
  env: TScorerEnv;
  ecs?: ECSClient;
  taskDefinition: string;
  containerName: string;
  command: string[];
  /** ECS keeps at most 36 characters. */
  startedBy: string;
  environment?: Record<string, string>;
  securityGroups?: string[];
}): Promise<string> {
  const { env } = options;
  if (!env.ECS_CLUSTER) throw new Error('ECS_CLUSTER is not set');
  const ecs = options.ecs ?? new ECSClient({ region: env.AWS_REGION });
  const environment = Object.entries(options.environment ?? {}).map(([name, value]) => ({ name, value }));
  const response = await ecs.send(
    new RunTaskCommand({
      cluster: env.ECS_CLUSTER,
      taskDefinition: options.taskDefinition,
      launchType: env.ECS_LAUNCH_TYPE,
      count: 1,
      startedBy: options.startedBy.slice(0, 36),
      // Fargate needs subnets; left out when none are configured (a task definition for EC2 hosts).
      ...(env.ECS_SUBNETS.length > 0
        ? {
            networkConfiguration: {
              awsvpcConfiguration: {
                subnets: env.ECS_SUBNETS,
                securityGroups: options.securityGroups ?? env.ECS_SECURITY_GROUPS,
                assignPublicIp: env.ECS_ASSIGN_PUBLIC_IP,
              },
            },
          }
        : {}),
      overrides: {
        containerOverrides: [
          { name: options.containerName, command: options.command, ...(environment.length > 0 ? { environment } : {}) },
        ],
      },
    }),
  );
  const task = response.tasks?.[0];
  if (!task?.taskArn) {
    const reasons = (response.failures ?? []).map((f) => `${f.arn ?? ''} ${f.reason ?? ''} ${f.detail ?? ''}`.trim()).join('; ');
    throw new Error(`ECS RunTask started no task${reasons ? `: ${reasons}` : ''}`);
  }
  return task.taskArn;
}

/** For the console: fail runs whose scorer stopped reporting (also run every minute by `scorer schedule`). */
export async function reapStaleBatchRuns(pool: Pool, options: { staleAfterMs?: number } = {}): Promise<string[]> {
  return reapStaleRuns(pool, { staleAfterMs: options.staleAfterMs ?? getScorerEnv().SCORER_STALE_AFTER_MS });
}
