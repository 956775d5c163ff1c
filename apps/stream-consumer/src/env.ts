import { z } from 'zod';
import { DEFAULT_MODEL_NAME, ZModelName } from '@tripcast/model';
import { withoutEmptyValues } from '@tripcast/model/env-policy';

/** The course sets TEST_RUN=True; accept the usual spellings of a boolean. */
const zBoolean = z
  .string()
  .trim()
  .toLowerCase()
  .refine((value) => ['true', 'false', '1', '0', 'yes', 'no', ''].includes(value), { error: 'must be true or false' })
  .transform((value) => ['true', '1', 'yes'].includes(value));

const zOptionalUrl = z.url().optional();

export const ZEnv = z.object({
  DATABASE_URL: z.string().min(1, { error: 'DATABASE_URL is required (any Postgres)' }),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  KINESIS_ENDPOINT_URL: zOptionalUrl.describe('Kinesis endpoint override (local stack); unset = real AWS'),
  S3_ENDPOINT_URL: zOptionalUrl.describe('S3 endpoint override for the object store'),
  INPUT_STREAM_NAME: z.string().min(1).default('ride_events'),
  PREDICTIONS_STREAM_NAME: z.string().min(1).default('ride_predictions'),
  /**
   * Optional: each challenger also publishes course-shaped records to its own stream, named by
   * this template with `{version}` replaced (e.g. `ride_predictions-{version}`). Unset: challengers
   * only write history. The streams must exist; a failed put is counted, never blocks the shard.
   */
  CHALLENGER_OUTPUT_STREAM: z
    .string()
    .regex(/\{version\}/, 'must contain {version} (each challenger gets its own stream)')
    .optional(),
  MODEL_NAME: ZModelName.default(DEFAULT_MODEL_NAME),
  /** Course: load the model from this folder / s3:// prefix instead of the registry's production version. */
  MODEL_LOCATION: z.string().min(1).optional(),
  OBJECT_STORE_URI: z.string().min(1).optional(),
  TEST_RUN: zBoolean.default(false),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  CONSUMER_LEASE_TTL_MS: z.coerce.number().int().min(300).default(10_000),
  CONSUMER_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(1_000),
  CONSUMER_IDLE_POLL_MS: z.coerce.number().int().min(0).default(250),
  CONSUMER_INITIAL_POSITION: z.enum(['TRIM_HORIZON', 'LATEST']).default('TRIM_HORIZON'),
  /** /health turns unhealthy when a shard holds records without advancing for this long. */
  CONSUMER_STALL_THRESHOLD_MS: z.coerce.number().int().min(1_000).default(60_000),
  /** How often the production-model watcher re-reads the registry (the console's variable of the same name). */
  MODEL_WATCH_INTERVAL_MS: z.coerce.number().int().min(100).default(5_000),
  HEALTH_HOST: z.string().min(1).default('127.0.0.1'),
  HEALTH_PORT: z.coerce.number().int().min(0).max(65_535).default(8_081),
});
export type TEnv = z.infer<typeof ZEnv>;

/**
 * MODEL_POLL_INTERVAL_MS was this variable's name before the console and the consumer agreed on
 * MODEL_WATCH_INTERVAL_MS: still honoured (the new name wins) with a deprecation warning, so an
 * existing deployment keeps its interval.
 */
function renameDeprecated(present: Record<string, string>): Record<string, string> {
  const { MODEL_POLL_INTERVAL_MS: old, ...rest } = present;
  if (old === undefined) return present;
  process.emitWarning('MODEL_POLL_INTERVAL_MS is deprecated: set MODEL_WATCH_INTERVAL_MS instead', 'DeprecationWarning');
  return { MODEL_WATCH_INTERVAL_MS: old, ...rest };
}

/** Parse and validate the environment once; throws naming every bad variable. */
export function readEnv(source: NodeJS.ProcessEnv = process.env): TEnv {
  const parsed = ZEnv.safeParse(renameDeprecated(withoutEmptyValues(source)));
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`).join('\n');
  throw new Error(`Invalid environment for the stream consumer:\n${problems}`);
}

/** The producer only talks to Kinesis: no database needed. */
export const ZProducerEnv = ZEnv.pick({ AWS_REGION: true, KINESIS_ENDPOINT_URL: true, INPUT_STREAM_NAME: true, LOG_LEVEL: true });
export type TProducerEnv = z.infer<typeof ZProducerEnv>;

export function readProducerEnv(source: NodeJS.ProcessEnv = process.env): TProducerEnv {
  const parsed = ZProducerEnv.safeParse(withoutEmptyValues(source));
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`).join('\n');
  throw new Error(`Invalid environment for the producer:\n${problems}`);
}
