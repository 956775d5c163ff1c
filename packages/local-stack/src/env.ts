/**
 * The supervisor's configuration, read once from the environment (this is the only module of
 * the package that reads process.env). Every variable is optional: unset means "the embedded
 * default". An invalid value fails fast with one line naming the variable.
 */
import path from 'node:path';
import { z } from 'zod';
import { LocalStackError } from './errors';

/** <repo> (this file is <repo>/packages/local-stack/src/env.ts). */
export const REPO_ROOT = path.resolve(import.meta.dirname, '../../..');

const port = (fallback: number) => z.coerce.number().int().min(1).max(65_535).default(fallback);
const shards = (fallback: number) => z.coerce.number().int().min(1).max(100).default(fallback);
const optional = z
  .string()
  .optional()
  .transform((value) => (value === '' ? undefined : value));

export const ZLocalStackEnv = z.object({
  TRIPCAST_HOME: optional.describe('local state: pg/, kinesis/, store/, logs/, env'),
  DATABASE_URL: optional
    .refine((value) => value === undefined || /^postgres(ql)?:\/\/[^/]+/.test(value), {
      message: 'must look like postgres://user:password@host:5432/database',
    })
    .describe('an existing Postgres to use instead of the embedded one'),
  // Below Linux's ephemeral range (32768-60999), where any process's port-0 server may land.
  TRIPCAST_PG_PORT: port(15_432).describe('port of the embedded Postgres'),
  KINESIS_ENDPOINT_URL: optional
    .refine((value) => value === undefined || URL.canParse(value), {
      message: 'must be a URL such as http://127.0.0.1:4567',
    })
    .describe('an existing Kinesis endpoint to use instead of the embedded kinesalite'),
  TRIPCAST_KINESIS_PORT: port(4567).describe('port of the embedded Kinesis (kinesalite)'),
  OBJECT_STORE_URI: optional.describe('a folder or s3://bucket[/prefix]'),
  S3_ENDPOINT_URL: optional,
  AWS_REGION: z.string().min(1).default('us-east-1'),
  AWS_ACCESS_KEY_ID: optional,
  AWS_SECRET_ACCESS_KEY: optional,
  INPUT_STREAM_NAME: z.string().min(1).default('ride_events'),
  PREDICTIONS_STREAM_NAME: z.string().min(1).default('ride_predictions'),
  INPUT_STREAM_SHARDS: shards(2),
  PREDICTIONS_STREAM_SHARDS: shards(1),
  // @tripcast/model's DEFAULT_MODEL_NAME: this package sits below it in the graph, so it cannot
  // import it. The apps default to that constant when this is unset.
  MODEL_NAME: z.string().min(1).default('ride_duration_prediction_model'),
  CONSOLE_PORT: port(3000),
  // The stream consumer's own variable (apps/stream-consumer env.ts), checked before anything starts.
  HEALTH_PORT: z.coerce.number().int().min(0).max(65_535).default(8081),
  TLC_DATA_DIR: optional,
  TRIPCAST_SHARED_DATA: optional,
  NO_COLOR: optional,
});

export type TLocalStackEnv = z.infer<typeof ZLocalStackEnv>;

/**
 * Relative folders are taken from where the user typed the command: `npm start` runs us in
 * packages/local-stack, and npm keeps the original folder in INIT_CWD. Children run in their
 * own workspace folders, so they only ever get absolute paths.
 */
function resolveFolders(env: TLocalStackEnv, baseDir: string): TLocalStackEnv {
  const resolveFolder = (value: string | undefined) =>
    value === undefined ? undefined : path.resolve(baseDir, value);
  return {
    ...env,
    TRIPCAST_HOME: resolveFolder(env.TRIPCAST_HOME),
    OBJECT_STORE_URI: env.OBJECT_STORE_URI?.startsWith('s3://')
      ? env.OBJECT_STORE_URI
      : resolveFolder(env.OBJECT_STORE_URI),
    TLC_DATA_DIR: resolveFolder(env.TLC_DATA_DIR),
    TRIPCAST_SHARED_DATA: resolveFolder(env.TRIPCAST_SHARED_DATA),
  };
}

export function parseLocalStackEnv(source: NodeJS.ProcessEnv = process.env): TLocalStackEnv {
  const result = ZLocalStackEnv.safeParse(source);
  if (!result.success) {
    const issue = result.error.issues[0];
    const name = issue?.path.join('.') ?? 'environment';
    throw new LocalStackError(
      `Invalid ${name}=${JSON.stringify(source[name] ?? '')}: ${issue?.message ?? 'invalid value'}`,
    );
  }
  return resolveFolders(result.data, source.INIT_CWD ?? process.cwd());
}
