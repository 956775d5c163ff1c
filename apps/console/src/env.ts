// The console's only reader of process.env. Validated once, lazily, so `next build` (which
// imports server modules without a database) does not need runtime configuration.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_MODEL_NAME, ZModelName } from '@tripcast/model';
import { withoutEmptyValues } from '@tripcast/model/env-policy';

const ZEnv = z.object({
  DATABASE_URL: z.url({
    error: 'DATABASE_URL must be a postgres:// URL (the local stack sets it)',
  }),
  TRIPCAST_HOME: z.string().min(1).optional(),
  OBJECT_STORE_URI: z.string().min(1).optional(),
  S3_ENDPOINT_URL: z.url({ error: 'S3_ENDPOINT_URL must be a URL' }).optional(),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  MODEL_NAME: ZModelName.default(DEFAULT_MODEL_NAME),
  /** The TLC zone table (taxi_zone_lookup.csv); without it the console shows zone IDs only. */
  ZONE_LOOKUP_PATH: z.string().min(1).optional(),
  TRIPCAST_SHARED_DATA: z.string().min(1).optional(),
  TLC_DATA_DIR: z.string().min(1).optional(),
  CONSOLE_PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** How often the production-model watcher checks for a promotion. */
  MODEL_WATCH_INTERVAL_MS: z.coerce.number().int().min(100).default(2000),
  // --- server.ts and the REST API (src/rest) ---
  /** production: Next serves its build (`next build` first); anything else runs Next in dev mode. */
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  /** Address server.ts binds: 127.0.0.1 locally; 0.0.0.0 in a container behind a load balancer. */
  CONSOLE_HOST: z.string().min(1).default('127.0.0.1'),
  /** Kinesis endpoint override (local stack); with it or INPUT_STREAM_NAME set, /api/health checks the stream. */
  KINESIS_ENDPOINT_URL: z.url({ error: 'KINESIS_ENDPOINT_URL must be a URL' }).optional(),
  INPUT_STREAM_NAME: z.string().min(1).optional(),
  /** Online predictions are written to history in batches: every this many ms ... */
  HISTORY_FLUSH_INTERVAL_MS: z.coerce.number().int().min(1).default(100),
  /** ... or as soon as this many rows are buffered (one INSERT per flush). */
  HISTORY_MAX_BATCH_ROWS: z.coerce.number().int().min(1).default(1000),
  /** Rows buffered beyond this (database down or slow) are dropped and counted in /api/health. */
  HISTORY_MAX_BUFFERED_ROWS: z.coerce.number().int().min(1).default(100_000),
  /**
   * `true` serves POST /api/v1/predict without an API key (the course's shape, for local use only);
   * anything else requires `Authorization: Bearer <key>`. Off by default.
   */
  PREDICT_API_ALLOW_ANONYMOUS: z
    .enum(['true', 'false', ''], { error: 'PREDICT_API_ALLOW_ANONYMOUS must be true or false' })
    .default('false')
    .transform((value) => value === 'true'),
  /** Per API key: sustained requests per second ... */
  PREDICT_API_RATE_LIMIT_PER_SECOND: z.coerce.number().positive().default(100),
  /** ... and how many may arrive at once (token bucket size). */
  PREDICT_API_RATE_LIMIT_BURST: z.coerce.number().int().min(1).default(200),
  /**
   * Optional canary: this share (0..1) of predict requests that name no version is answered by
   * challenger PREDICT_CANARY_VERSION (recorded with role canary). 0 or unset: production answers all.
   */
  PREDICT_CANARY_VERSION: z.string().min(1).optional(),
  PREDICT_CANARY_SHARE: z.coerce
    .number()
    .min(0, 'PREDICT_CANARY_SHARE must be between 0 and 1')
    .max(1, 'PREDICT_CANARY_SHARE must be between 0 and 1')
    .default(0),
  /** While the database cannot answer, a key seen valid this recently keeps working from cache. */
  PREDICT_API_KEY_STALE_GRACE_MS: z.coerce.number().int().min(0).default(120_000),
  // --- sign-in (src/server/auth/auth.ts) ---
  /**
   * The console's public URL, e.g. https://console.example.com. Set it in any deployment: it is the
   * only origin trusted for sign-in and mutations, and https makes session cookies Secure. Unset
   * (local use): any http://localhost:* or http://127.0.0.1:* origin is trusted.
   */
  CONSOLE_PUBLIC_URL: z.url({ error: 'CONSOLE_PUBLIC_URL must be a URL like https://console.example.com' }).optional(),
  /** AWS: the Secrets Manager secret the first admin's one-time password is stored in (scripts/ensure-first-admin.ts). */
  FIRST_ADMIN_SECRET_ARN: z.string().min(1).optional(),
  /** Signs session cookies (32+ characters). Required with CONSOLE_PUBLIC_URL; locally generated once into TRIPCAST_HOME. */
  BETTER_AUTH_SECRET: z.string().min(32, { error: 'BETTER_AUTH_SECRET must be at least 32 characters' }).optional(),
  /** Generic OIDC sign-in (all three, or none): the issuer (its /.well-known/openid-configuration is read) ... */
  OIDC_ISSUER: z.url({ error: 'OIDC_ISSUER must be a URL' }).optional(),
  OIDC_CLIENT_ID: z.string().min(1).optional(),
  OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  /** ... and the button's label. New OIDC users start as viewers; an admin raises their role. */
  OIDC_PROVIDER_NAME: z.string().min(1).default('single sign-on'),
});

export type TEnv = z.infer<typeof ZEnv> & {
  repoRoot: string;
  tripcastHome: string;
  objectStoreUri: string;
  zoneLookupPath: string | null;
};

let cached: TEnv | undefined;

/** The directory holding turbo.json, found upward from the working directory. */
function findRepoRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (fs.existsSync(path.join(/*turbopackIgnore: true*/ dir, 'turbo.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return start;
    dir = parent;
  }
}

function resolveZoneLookupPath(env: z.infer<typeof ZEnv>, repoRoot: string): string | null {
  if (env.ZONE_LOOKUP_PATH) return path.resolve(/*turbopackIgnore: true*/ env.ZONE_LOOKUP_PATH);
  const candidates = [
    env.TRIPCAST_SHARED_DATA &&
      path.join(/*turbopackIgnore: true*/ env.TRIPCAST_SHARED_DATA, 'taxi_zone_lookup.csv'),
    env.TLC_DATA_DIR &&
      path.join(/*turbopackIgnore: true*/ env.TLC_DATA_DIR, 'taxi_zone_lookup.csv'),
    path.join(/*turbopackIgnore: true*/ repoRoot, '..', 'shared', 'data', 'taxi_zone_lookup.csv'),
  ].filter((p): p is string => Boolean(p));
  return candidates.find((p) => fs.existsSync(p)) ?? null;
}

export function getEnv(): TEnv {
  if (cached) return cached;
  // An empty variable means unset (the platform's one policy), so `S3_ENDPOINT_URL=` is no error.
  const parsed = ZEnv.safeParse(withoutEmptyValues(process.env));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid console environment:\n${lines.join('\n')}`);
  }
  const env = parsed.data;
  const repoRoot = findRepoRoot(process.cwd());
  // turbopackIgnore: runtime paths, not build inputs (else Next traces the whole repo into the output).
  const tripcastHome = path.resolve(
    /*turbopackIgnore: true*/ env.TRIPCAST_HOME ??
      path.join(/*turbopackIgnore: true*/ repoRoot, '.tripcast'),
  );
  cached = {
    ...env,
    repoRoot,
    tripcastHome,
    objectStoreUri:
      env.OBJECT_STORE_URI ?? path.join(/*turbopackIgnore: true*/ tripcastHome, 'store'),
    zoneLookupPath: resolveZoneLookupPath(env, repoRoot),
  };
  return cached;
}
