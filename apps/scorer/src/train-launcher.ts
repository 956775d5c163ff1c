// Starts a model training job for the console: checks the months are in the store, creates the
// queued training_jobs row, records the `model.train` audit row, then starts the train CLI with
// `--job-id` (packages/model/src/cli/train.ts), which claims the row and reports into it. Locally
// a detached child process (like the scorer's runs, launcher.ts); on AWS (TRAINER_LAUNCHER=ecs) an
// ECS RunTask of the trainer task definition (infra/modules/trainer) with a command override. The
// result is registered as a candidate, never promoted: an admin promotes it after comparing.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';

import type { ECSClient } from '@aws-sdk/client-ecs';
import { insertAuditEntry } from '@tripcast/db/queries/audit';
import {
  createTrainingJob,
  failTrainingJob,
  reapStaleTrainingJobs,
  recordTrainingLaunch,
} from '@tripcast/db/queries/training-jobs';
import { ZModelName, ZTaxiType } from '@tripcast/model';
import { s3OptionsFromEnv } from '@tripcast/model/object-store';
import { buildRecipeArgs, ZRecipeChoice } from '@tripcast/model/training';
import type { Pool } from 'pg';
import { z } from 'zod';

import { getChildProcessEnv, getScorerEnv, type TScorerEnv } from './env';
import { MonthNotInStoreError, runEcsTask } from './launcher';
import { createPool } from './runtime-deps';
import {
  addStoreMonth,
  describeAddingMonth,
  findStoreMonth,
  type TStoreMonth,
} from './store-months';

export { MAX_STORE_MONTH_BYTES, StoreMonthRefusedError } from './store-months';

/** Each month is read into memory: a bound keeps one job from exhausting a small machine. */
export const MAX_TRAINING_MONTHS = 12;

const ZStoreMonth = z.object({
  taxiType: ZTaxiType,
  year: z.number().int().min(2009).max(2100),
  month: z.number().int().min(1).max(12),
});
type TStoreMonthRef = z.infer<typeof ZStoreMonth>;

const monthLabel = (m: TStoreMonthRef) =>
  `${m.taxiType} ${m.year}-${String(m.month).padStart(2, '0')}`;

/** What the analyst chooses (the console's training form): months, validation month, recipe. */
const ZTrainingChoiceFields = z.object({
  trainMonths: z
    .array(ZStoreMonth)
    .min(1, 'Pick at least one training month')
    .max(MAX_TRAINING_MONTHS, `Train on at most ${MAX_TRAINING_MONTHS} months`)
    .describe('months of the store to train on'),
  validationMonth: ZStoreMonth.optional().describe(
    'month of the store to report validation metrics on',
  ),
  recipe: ZRecipeChoice.describe('recipe and its hyper-parameters'),
});

function checkMonths(choice: z.output<typeof ZTrainingChoiceFields>, ctx: z.RefinementCtx): void {
  const keys = choice.trainMonths.map(monthLabel);
  if (new Set(keys).size !== keys.length)
    ctx.addIssue({
      code: 'custom',
      path: ['trainMonths'],
      message: 'Each training month only once',
    });
  if (choice.validationMonth && keys.includes(monthLabel(choice.validationMonth)))
    ctx.addIssue({
      code: 'custom',
      path: ['validationMonth'],
      message:
        'The validation month must not be a training month (it would grade the model on its own training trips)',
    });
}

export const ZTrainingChoice = ZTrainingChoiceFields.superRefine(checkMonths);

export const ZTrainingRequest = ZTrainingChoiceFields.extend({
  modelName: ZModelName.describe('the model the version is registered under'),
  /** Who asked: the job row and the audit rows name them. */
  requestedBy: z.string().min(1).max(200),
}).superRefine(checkMonths);
export type TTrainingRequest = z.input<typeof ZTrainingRequest>;

export type TTrainingLaunch =
  | { jobId: string; mode: 'local'; pid: number; logFile: string }
  | { jobId: string; mode: 'ecs'; taskArn: string };

export type TTrainingLaunchOptions = {
  env?: TScorerEnv;
  /** Reuse the caller's pool; otherwise one is opened for the call. */
  pool?: Pool;
  ecs?: ECSClient;
  /** Environment of the child train process (local mode); default this process's. */
  processEnv?: NodeJS.ProcessEnv;
};

/** The train CLI's argv for a job (the child process and the ECS container command alike). */
export function buildTrainArgs(input: {
  jobId: string;
  modelName: string;
  trainUris: string[];
  validationUri: string | null;
  recipe: z.output<typeof ZRecipeChoice>;
}): string[] {
  return [
    ...input.trainUris.flatMap((uri) => ['--train', uri]),
    ...(input.validationUri ? ['--validation', input.validationUri] : []),
    '--name',
    input.modelName,
    ...buildRecipeArgs(input.recipe),
    '--register',
    '--job-id',
    input.jobId,
  ];
}

/**
 * Start a training job. Refused before anything is created when a month is not in the store
 * (MonthNotInStoreError) or the request is invalid (ZodError naming the field).
 */
export async function launchTrainingJob(
  input: TTrainingRequest,
  options: TTrainingLaunchOptions = {},
): Promise<TTrainingLaunch> {
  const request = ZTrainingRequest.parse(input);
  const env = options.env ?? getScorerEnv();
  const s3 = s3OptionsFromEnv(env);
  const locate = async (month: TStoreMonthRef) => {
    const found = await findStoreMonth(env.objectStoreUri, month, { s3 });
    if (!found)
      throw new MonthNotInStoreError(
        month,
        `no trip data for ${monthLabel(month)} in the store: ${describeAddingMonth(env.objectStoreUri, month)}`,
      );
    return found.uri;
  };
  const trainUris: string[] = [];
  for (const month of request.trainMonths) trainUris.push(await locate(month));
  const validationUri = request.validationMonth ? await locate(request.validationMonth) : null;
  if (env.TRAINER_LAUNCHER === 'ecs' && (!env.ECS_CLUSTER || !env.TRAINER_TASK_DEFINITION))
    throw new Error('TRAINER_LAUNCHER=ecs needs ECS_CLUSTER and TRAINER_TASK_DEFINITION');
  if (!options.pool && !env.DATABASE_URL)
    throw new Error(
      'DATABASE_URL is required to start a training job (the job row lives in Postgres)',
    );
  const pool = options.pool ?? createPool(env.DATABASE_URL!);
  try {
    const jobId = randomUUID();
    const job = {
      id: jobId,
      modelName: request.modelName,
      recipe: request.recipe.recipe,
      params: request.recipe.params,
      trainMonths: request.trainMonths.map(monthLabel),
      trainUris,
      validationMonth: request.validationMonth ? monthLabel(request.validationMonth) : null,
      validationUri,
      requestedBy: request.requestedBy,
    };
    await createTrainingJob(pool, job);
    await insertAuditEntry(pool, {
      actor: request.requestedBy,
      action: 'model.train',
      targetType: 'training_job',
      targetId: jobId,
      details: {
        modelName: job.modelName,
        recipe: job.recipe,
        params: job.params,
        trainMonths: job.trainMonths,
        validationMonth: job.validationMonth,
      },
    });
    const args = buildTrainArgs({ ...job, jobId, recipe: request.recipe });
    // The registry's `model.register` row and created_by name the person, not the console.
    const actorEnv = { TRIPCAST_ACTOR: request.requestedBy };
    let launched: TTrainingLaunch;
    try {
      if (env.TRAINER_LAUNCHER === 'ecs') {
        const taskArn = await runEcsTask({
          env,
          ecs: options.ecs,
          taskDefinition: env.TRAINER_TASK_DEFINITION!,
          containerName: env.TRAINER_CONTAINER_NAME,
          command: args,
          startedBy: `tripcast-train-${jobId}`,
          environment: actorEnv,
          securityGroups:
            env.TRAINER_SECURITY_GROUPS.length > 0 ? env.TRAINER_SECURITY_GROUPS : undefined,
        });
        launched = { jobId, mode: 'ecs', taskArn };
      } else {
        launched = startTrainProcess({
          env,
          args,
          jobId,
          processEnv: { ...(options.processEnv ?? getChildProcessEnv()), ...actorEnv },
        });
      }
    } catch (error) {
      const message = `could not start the training: ${error instanceof Error ? error.message : String(error)}`;
      await failTrainingJob(pool, jobId, message);
      throw new Error(message, { cause: error });
    }
    await recordTrainingLaunch(
      pool,
      jobId,
      launched.mode === 'ecs' ? launched.taskArn : `local pid ${launched.pid}`,
    );
    return launched;
  } finally {
    if (!options.pool) await pool.end();
  }
}

const TRAIN_BIN = path.join('packages', 'model', 'bin', 'train.js');

function startTrainProcess(options: {
  env: TScorerEnv;
  args: string[];
  jobId: string;
  processEnv: NodeJS.ProcessEnv;
}): TTrainingLaunch & { mode: 'local' } {
  const logDir = path.join(options.env.tripcastHome, 'logs');
  mkdirSync(logDir, { recursive: true });
  const logFile = path.join(logDir, `train-${options.jobId}.log`);
  const fd = openSync(logFile, 'a');
  try {
    // Detached + unref: the training survives the console; its output also goes to the log file.
    const child = spawn(
      process.execPath,
      [path.join(options.env.repoRoot, TRAIN_BIN), ...options.args],
      {
        detached: true,
        stdio: ['ignore', fd, fd],
        env: options.processEnv,
      },
    );
    if (child.pid === undefined) throw new Error(`spawn ${process.execPath} failed`);
    // While this process lives, a child that dies without finishing its job (killed, out of
    // memory, failed before it could claim the row) fails the job at once, with the reason and the
    // log file; otherwise the reaper does when the heartbeats stop.
    const databaseUrl = options.env.DATABASE_URL;
    child.once('exit', (code, signal) => {
      if (code === 0 || !databaseUrl) return;
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      const pool = createPool(databaseUrl);
      failTrainingJob(
        pool,
        options.jobId,
        `the training process ${how} before finishing the job (log: ${logFile})`,
      )
        .catch((error: unknown) =>
          console.warn(`training job ${options.jobId}: could not record its failure:`, error),
        )
        .finally(() => void pool.end());
    });
    child.unref();
    return { jobId: options.jobId, mode: 'local', pid: child.pid, logFile };
  } finally {
    closeSync(fd);
  }
}

/** Fail the training jobs whose process stopped reporting (the console calls this before it lists them). */
export async function reapDeadTrainingJobs(
  pool: Pick<Pool, 'query'>,
  options: { staleAfterMs?: number; queuedTimeoutMs?: number } = {},
): Promise<string[]> {
  return reapStaleTrainingJobs(pool, {
    staleAfterMs: options.staleAfterMs ?? getScorerEnv().TRAINER_STALE_AFTER_MS,
    queuedTimeoutMs: options.queuedTimeoutMs,
  });
}

/**
 * An analyst's upload of a TLC month (the Training page's "or upload a month"): into the store's
 * trip-data, where training and batch runs find it. Audited as `store.add_month`.
 */
export async function uploadStoreMonth(
  file: { name: string; bytes: Uint8Array },
  options: { env?: TScorerEnv; pool: Pick<Pool, 'query'>; requestedBy: string },
): Promise<TStoreMonth> {
  const env = options.env ?? getScorerEnv();
  const added = await addStoreMonth(env.objectStoreUri, file, { s3: s3OptionsFromEnv(env) });
  await insertAuditEntry(options.pool, {
    actor: options.requestedBy,
    action: 'store.add_month',
    targetType: 'store_month',
    targetId: monthLabel(added),
    details: { file: file.name, bytes: file.bytes.byteLength },
  });
  return added;
}
