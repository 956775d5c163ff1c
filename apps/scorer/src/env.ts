// The only module of the scorer that reads process.env. Validated once, failing fast with the
// variable's name. Names follow the course (INPUT_FILE_PATTERN, OUTPUT_FILE_PATTERN,
// S3_ENDPOINT_URL, DATE, MODEL_LOCATION) and the platform's shared ones (DATABASE_URL,
// OBJECT_STORE_URI, MODEL_NAME, AWS_REGION: the README's configuration table).
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { DEFAULT_MODEL_NAME, ZTaxiType } from '@tripcast/model';
import { withoutEmptyValues } from '@tripcast/model/env-policy';
import type { TDriftThresholds } from '@tripcast/model/monitoring';
import { resolveUserPath } from '@tripcast/model/object-store';
import { z } from 'zod';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

const optionalString = z.string().optional();
const optionalList = z
  .string()
  .optional()
  .transform((v) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : []));

export const ZScorerEnv = z.object({
  DATABASE_URL: optionalString.describe('Postgres for run records and predictions; without it runs write Parquet only'),
  TRIPCAST_HOME: optionalString.describe('local state folder, default <repo>/.tripcast'),
  OBJECT_STORE_URI: optionalString.describe('object store root: a folder or s3://bucket[/prefix]'),
  S3_ENDPOINT_URL: optionalString.describe('S3-compatible endpoint override (path-style)'),
  AWS_REGION: z.string().default('us-east-1'),
  MODEL_NAME: z.string().default(DEFAULT_MODEL_NAME),
  MODEL_LOCATION: optionalString.describe('course form: a model folder/URI to use instead of the registry'),
  INPUT_FILE_PATTERN: optionalString,
  OUTPUT_FILE_PATTERN: optionalString,
  DATE: optionalString.describe('container form: score the month before this YYYY-MM-DD date'),
  TAXI_TYPE: ZTaxiType.optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SCORER_SCHEDULE: z.string().default('0 3 2 * *'),
  SCORER_SCHEDULE_TAXI_TYPES: z.string().default('green'),
  SCORER_DRIFT_SCHEDULE: z.string().default('15 2 * * *').describe('cron of the daily online/stream drift job inside `scorer schedule` (UTC)'),
  // Drift thresholds (@tripcast/model/monitoring): PSI per feature and the share of pairs never seen in training.
  DRIFT_PSI_WATCH: z.coerce.number().positive().optional(),
  DRIFT_PSI_ALERT: z.coerce.number().positive().optional(),
  DRIFT_UNSEEN_PAIR_WATCH: z.coerce.number().min(0).max(1).optional(),
  DRIFT_UNSEEN_PAIR_ALERT: z.coerce.number().min(0).max(1).optional(),
  DRIFT_MIN_ROWS: z.coerce.number().int().nonnegative().optional(),
  SCORER_HEARTBEAT_MS: z.coerce.number().int().positive().default(5_000),
  SCORER_STALE_AFTER_MS: z.coerce.number().int().positive().default(60_000),
  SCORER_LAUNCHER: z.enum(['local', 'ecs']).default('local'),
  ECS_CLUSTER: optionalString,
  ECS_TASK_DEFINITION: optionalString,
  ECS_CONTAINER_NAME: z.string().default('scorer'),
  ECS_SUBNETS: optionalList,
  ECS_SECURITY_GROUPS: optionalList,
  ECS_LAUNCH_TYPE: z.enum(['FARGATE', 'EC2']).default('FARGATE'),
  ECS_ASSIGN_PUBLIC_IP: z.enum(['ENABLED', 'DISABLED']).default('DISABLED'),
  // The training launcher (train-launcher.ts): a local train child process, or an ECS task of the
  // trainer task definition (infra/modules/trainer) on the same cluster and subnets as the scorer.
  TRAINER_LAUNCHER: z.enum(['local', 'ecs']).default('local'),
  TRAINER_TASK_DEFINITION: optionalString.describe('trainer task definition (family or ARN) for TRAINER_LAUNCHER=ecs'),
  TRAINER_CONTAINER_NAME: z.string().default('train'),
  TRAINER_SECURITY_GROUPS: optionalList.describe('security groups of the trainer task (default ECS_SECURITY_GROUPS)'),
  TRAINER_STALE_AFTER_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(180_000)
    .describe('a running training job without a heartbeat this long is failed (a fit on a big month blocks reports for seconds)'),
  // Run-finished events, so other applications learn a month is ready: both targets optional and independent.
  RUN_EVENTS_BUS_NAME: optionalString.describe('EventBridge bus: put a "Batch run finished" event (source tripcast.scorer) when a run succeeds or fails'),
  EVENTBRIDGE_ENDPOINT_URL: optionalString.describe('EventBridge-compatible endpoint override (moto, LocalStack)'),
  RUN_WEBHOOK_URL: z.url({ error: 'RUN_WEBHOOK_URL must be an http(s) URL' }).optional(),
  RUN_WEBHOOK_SECRET: z.string().min(16, 'RUN_WEBHOOK_SECRET must be at least 16 characters (it signs every delivery)').optional(),
  RUN_WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(5),
  RUN_WEBHOOK_RETRY_BASE_MS: z.coerce.number().int().min(0).default(1_000),
  RUN_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  INIT_CWD: optionalString.describe('the folder the user ran npm from (npm runs workspace scripts in the workspace folder)'),
}).refine((env) => Boolean(env.RUN_WEBHOOK_URL) === Boolean(env.RUN_WEBHOOK_SECRET), {
  message: 'set both RUN_WEBHOOK_URL and RUN_WEBHOOK_SECRET, or neither (an unsigned webhook is never sent)',
  path: ['RUN_WEBHOOK_SECRET'],
});

export type TScorerEnv = z.infer<typeof ZScorerEnv> & {
  tripcastHome: string;
  objectStoreUri: string;
  repoRoot: string;
  /** Where relative paths the user gives (flags, patterns, folders) are resolved from. */
  userDir: string;
};

export function parseScorerEnv(source: NodeJS.ProcessEnv): TScorerEnv {
  // An empty variable means unset (the platform's one policy).
  const result = ZScorerEnv.safeParse(withoutEmptyValues(source));
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new Error(`invalid environment: ${problems}`);
  }
  const env = result.data;
  // `npm run scorer -w @tripcast/scorer` runs in apps/scorer; the user typed paths in INIT_CWD.
  const userDir = env.INIT_CWD ?? process.cwd();
  const tripcastHome = path.resolve(userDir, env.TRIPCAST_HOME ?? path.join(REPO_ROOT, '.tripcast'));
  const objectStoreUri = env.OBJECT_STORE_URI ? resolveUserPath(env.OBJECT_STORE_URI, userDir) : path.join(tripcastHome, 'store');
  const resolveOptional = (value: string | undefined) => (value === undefined ? undefined : resolveUserPath(value, userDir));
  return {
    ...env,
    MODEL_LOCATION: resolveOptional(env.MODEL_LOCATION),
    INPUT_FILE_PATTERN: resolveOptional(env.INPUT_FILE_PATTERN),
    OUTPUT_FILE_PATTERN: resolveOptional(env.OUTPUT_FILE_PATTERN),
    tripcastHome,
    objectStoreUri,
    repoRoot: REPO_ROOT,
    userDir,
  };
}

/** The drift thresholds the env overrides (the rest keep DEFAULT_DRIFT_THRESHOLDS). */
export function driftThresholdsFromEnv(env: TScorerEnv): Partial<TDriftThresholds> {
  const thresholds: Partial<TDriftThresholds> = {
    psiWatch: env.DRIFT_PSI_WATCH,
    psiAlert: env.DRIFT_PSI_ALERT,
    unseenPairWatch: env.DRIFT_UNSEEN_PAIR_WATCH,
    unseenPairAlert: env.DRIFT_UNSEEN_PAIR_ALERT,
    minRows: env.DRIFT_MIN_ROWS,
  };
  return Object.fromEntries(Object.entries(thresholds).filter(([, v]) => v !== undefined));
}

let cached: TScorerEnv | undefined;

/** The validated environment of this process (read once). */
export function getScorerEnv(): TScorerEnv {
  cached ??= parseScorerEnv(process.env);
  return cached;
}

/** The environment to hand to a child scorer process (the launcher's local mode). */
export function getChildProcessEnv(): NodeJS.ProcessEnv {
  return { ...process.env };
}
