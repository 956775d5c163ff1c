/**
 * What `npm start` hands its jobs and services: the stack's settings (written to the env file
 * as well, for any CLI run by hand), the child processes' environment, and the summary printed
 * once the servers are up.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { redactUrl } from './database';
import type { TLocalStackEnv } from './env';
import type { THomeLayout } from './home';
import type { TResolvedPlan } from './plan';
import type { TStreamPlan } from './start-servers';

/** Defaults TLC_DATA_DIR to the shared real month next to the repo, when it is there. */
function resolveTlcDataDir(env: TLocalStackEnv, repoRoot: string): string | undefined {
  if (env.TLC_DATA_DIR) return path.resolve(env.TLC_DATA_DIR);
  const candidate = env.TRIPCAST_SHARED_DATA
    ? path.resolve(env.TRIPCAST_SHARED_DATA)
    : path.resolve(repoRoot, '..', 'shared', 'data');
  return existsSync(candidate) ? candidate : undefined;
}

function isRealS3(uri: string, env: TLocalStackEnv): boolean {
  return uri.startsWith('s3://') && !env.S3_ENDPOINT_URL;
}

/** The stack's settings every app reads (and the env file holds). */
export function buildStackEnv(options: {
  env: TLocalStackEnv;
  layout: THomeLayout;
  repoRoot: string;
  databaseUrl: string;
  kinesisEndpoint: string;
  objectStoreUri: string;
}): Record<string, string> {
  const { env, layout, databaseUrl, kinesisEndpoint, objectStoreUri } = options;
  const tlcDataDir = resolveTlcDataDir(env, options.repoRoot);
  const usesRealAws = isRealS3(objectStoreUri, env);
  return {
    TRIPCAST_HOME: layout.root,
    DATABASE_URL: databaseUrl,
    KINESIS_ENDPOINT_URL: kinesisEndpoint,
    OBJECT_STORE_URI: objectStoreUri,
    ...(env.S3_ENDPOINT_URL ? { S3_ENDPOINT_URL: env.S3_ENDPOINT_URL } : {}),
    AWS_REGION: env.AWS_REGION,
    // The local endpoints accept any credentials but the SDK must sign with something. Never
    // shadow real ones (env or profile) when the object store is real S3.
    ...(!env.AWS_ACCESS_KEY_ID && !usesRealAws
      ? { AWS_ACCESS_KEY_ID: 'tripcast-local', AWS_SECRET_ACCESS_KEY: 'tripcast-local' }
      : {}),
    INPUT_STREAM_NAME: env.INPUT_STREAM_NAME,
    PREDICTIONS_STREAM_NAME: env.PREDICTIONS_STREAM_NAME,
    MODEL_NAME: env.MODEL_NAME,
    CONSOLE_PORT: String(env.CONSOLE_PORT),
    ...(tlcDataDir ? { TLC_DATA_DIR: tlcDataDir } : {}),
  };
}

/** The children's environment: ours, the stack's settings, and colour as our own output has it. */
export function buildChildEnv(
  stackEnv: Record<string, string>,
  isColor: boolean,
): NodeJS.ProcessEnv {
  // Children write to pipes, so they would drop colour; keep it when our own output is a TTY.
  // (Many libraries treat any FORCE_COLOR, even "0", as "on": use NO_COLOR to turn it off.)
  const { FORCE_COLOR: _force, NO_COLOR: _none, ...inherited } = process.env;
  return {
    // The AWS SDK writes a multi-line Node-version notice (process.emitWarning) into the services'
    // output, between their JSON log lines; the start summary says it once instead (see
    // describeStack). A value the user set wins.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...inherited,
    ...stackEnv,
    ...(isColor ? { FORCE_COLOR: '1' } : { NO_COLOR: '1' }),
  };
}

/** The Node major from which the AWS SDK's releases after early January 2027 still run. */
const AWS_SDK_NODE_MAJOR = 22;

/** The lines printed once the servers are up: where each part is, and what will run. */
export function describeStack(options: {
  databaseUrl: string;
  kinesisEndpoint: string;
  streams: TStreamPlan[];
  objectStoreUri: string;
  layout: THomeLayout;
  plan: TResolvedPlan;
  consoleUrl: string;
  hasConsole: boolean;
}): string[] {
  const { layout, plan, streams, consoleUrl } = options;
  return [
    'local stack is up:',
    `  Postgres     ${redactUrl(options.databaseUrl)}`,
    `  Kinesis      ${options.kinesisEndpoint}  streams: ${streams.map((stream) => `${stream.name} (${stream.shardCount} shard${stream.shardCount > 1 ? 's' : ''})`).join(', ')}`,
    `  Object store ${options.objectStoreUri}`,
    `  Logs         ${layout.logs}`,
    `  Env file     source ${layout.envFile}`,
    ...plan.runnable.map(
      (entry) =>
        `  ${entry.kind === 'job' ? 'job    ' : 'service'}      ${entry.name}: ${entry.describe} (npm run ${entry.script} -w ${entry.workspace})`,
    ),
    ...plan.skipped.map(
      (entry) => `  not yet      ${entry.name}: ${entry.workspace} has no "${entry.script}" script`,
    ),
    options.hasConsole
      ? `  Console      ${consoleUrl}`
      : `  Console      ${consoleUrl} (not started: @tripcast/console has no "start:local" script yet)`,
    ...(Number(process.versions.node.split('.')[0]) < AWS_SDK_NODE_MAJOR
      ? [
          `  Note         Node ${process.version}: AWS SDK releases after early January 2027 need Node ${AWS_SDK_NODE_MAJOR} (the SDK pins in package.json keep working)`,
        ]
      : []),
  ];
}

/**
 * What a newcomer does next, printed once the console answers: how to sign in, one thing to try in
 * each mode, and where the state lives. Short on purpose: the README has the rest.
 */
export function describeNextSteps(options: {
  consoleUrl: string;
  layout: THomeLayout;
  firstAdminFile?: string;
}): string[] {
  const { consoleUrl, layout, firstAdminFile } = options;
  const host = consoleUrl.replace(/^https?:\/\//, '');
  return [
    `Tripcast is ready: open ${consoleUrl}  (Ctrl-C stops everything)`,
    firstAdminFile
      ? `  Sign in      as the first admin: email and password are in ${firstAdminFile}`
      : '  Sign in      with the account an admin created for you',
    `  Online       Live prediction (${consoleUrl}/predict), or the API:`,
    `               curl -s ${host}/api/v1/predict -H 'content-type: application/json' -d '{"PULocationID": 10, "DOLocationID": 50, "trip_distance": 40}'`,
    `  Batch        Batch runs → Trigger a run for one of the demo months (${path.join(layout.store, 'trip-data')})`,
    `  Streaming    source ${layout.envFile} && npm run produce -w @tripcast/stream-consumer -- --count 500`,
    `  State        ${layout.root} keeps the database, models and runs across restarts (stop, then delete it to start afresh)`,
  ];
}
