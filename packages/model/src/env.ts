import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { z } from 'zod';

import { withoutEmptyValues } from './env-policy';
import { DEFAULT_MODEL_NAME, ZModelName } from './model-card';
import { resolveUserPath } from './user-path';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

const ZBoolean = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/**
 * Environment of this package's CLIs (train, generate, bootstrap). The library functions never
 * read process.env: they take these values as arguments. Parsed once, failing fast on a bad value.
 */
const ZCliEnv = z.object({
  TRIPCAST_HOME: z.string().min(1).default(path.join(repoRoot, '.tripcast')),
  OBJECT_STORE_URI: z.string().min(1).optional().describe('local folder or s3://bucket[/prefix]'),
  S3_ENDPOINT_URL: z.url().optional(),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  DATABASE_URL: z.string().min(1).optional(),
  MODEL_NAME: ZModelName.default(DEFAULT_MODEL_NAME),
  TLC_DATA_DIR: z.string().min(1).optional(),
  /** Opt out of downloading green 2021-01 from the TLC on first start (offline machines, CI). */
  TRIPCAST_NO_DOWNLOAD: ZBoolean.default(false),
  /** Who to record in the registry and audit log for CLI actions. */
  TRIPCAST_ACTOR: z.string().min(1).optional(),
  USER: z.string().optional(),
  /** The folder the user ran npm from (npm runs workspace scripts in the workspace's folder). */
  INIT_CWD: z.string().min(1).optional(),
});
export type TCliEnv = z.infer<typeof ZCliEnv> & {
  objectStoreUri: string;
  actor: string;
  /** Where relative paths given by the user are resolved from (INIT_CWD, else the cwd). */
  userDir: string;
};

let cached: TCliEnv | undefined;

export function getCliEnv(): TCliEnv {
  if (cached) return cached;
  const parsed = ZCliEnv.safeParse(withoutEmptyValues(process.env));
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) => `  ${i.path.join('.')}: ${i.message}`)
      .join('\n');
    console.error(`Invalid environment:\n${problems}`);
    process.exit(2);
  }
  const env = parsed.data;
  const userDir = env.INIT_CWD ?? process.cwd();
  const home = path.resolve(userDir, env.TRIPCAST_HOME);
  cached = {
    ...env,
    TRIPCAST_HOME: home,
    TLC_DATA_DIR: env.TLC_DATA_DIR === undefined ? undefined : path.resolve(userDir, env.TLC_DATA_DIR),
    userDir,
    objectStoreUri: env.OBJECT_STORE_URI
      ? resolveUserPath(env.OBJECT_STORE_URI, userDir)
      : path.join(home, 'store'),
    actor: env.TRIPCAST_ACTOR ?? `cli:${env.USER ?? readOsUserName()}`,
  };
  return cached;
}

/**
 * The OS account running the CLI. Containers and `sudo -i`-less root shells often have no $USER,
 * which made the registry say "registered by cli:unknown"; the passwd entry of the uid is still
 * there (the scorer records runs the same way). A uid without one falls back to `uid:<n>`.
 */
export function readOsUserName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return `uid:${process.getuid?.() ?? 'unknown'}`;
  }
}
