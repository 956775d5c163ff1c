/**
 * The servers `npm start` brings up before any job or service: Postgres (embedded, or the one
 * DATABASE_URL names) and Kinesis (kinesalite with both streams, or KINESIS_ENDPOINT_URL). Each
 * started server registers its stopper, so runStart stops them in reverse order.
 */
import { ensureDatabase, redactUrl, verifyDatabaseUrl } from './database';
import type { TLocalStackEnv } from './env';
import type { THomeLayout } from './home';
import { startKinesis } from './kinesis';
import type { TLogger } from './log';
import { startPostgres } from './postgres';

export const LOCAL_DATABASE_NAME = 'tripcast';
export const KINESIS_PORT_HINT =
  'set TRIPCAST_KINESIS_PORT to another port, or KINESIS_ENDPOINT_URL to use an existing endpoint';

export type TStopper = {
  name: string;
  stop: () => Promise<void>;
  kill?: () => void;
  isQuiet?: boolean;
};

export type TServerContext = {
  env: TLocalStackEnv;
  layout: THomeLayout;
  logger: TLogger;
  say: (text: string) => void;
  stoppers: TStopper[];
};

export type TStreamPlan = { name: string; shardCount: number };

/** Postgres logs every checkpoint; the terminal gets start, stop and problems, the log file everything. */
function isNoteworthyPostgresLine(line: string): boolean {
  return /ready to accept connections|database system is shut down|WARNING|ERROR|FATAL|PANIC/.test(
    line,
  );
}

/** Postgres: the embedded server, or the one DATABASE_URL names. Returns the app's database URL. */
export async function startDatabaseServer(context: TServerContext): Promise<string> {
  const { env, layout, logger, say, stoppers } = context;
  if (env.DATABASE_URL) {
    const { serverVersion } = await verifyDatabaseUrl(env.DATABASE_URL);
    say(`using the Postgres ${serverVersion} at DATABASE_URL (${redactUrl(env.DATABASE_URL)})`);
    return env.DATABASE_URL;
  }
  say(`starting Postgres 17 (data in ${layout.postgres})`);
  const postgres = await startPostgres({
    dataDir: layout.postgres,
    port: env.TRIPCAST_PG_PORT,
    detached: true,
    portHint: 'set TRIPCAST_PG_PORT to another port, or DATABASE_URL to use an existing Postgres',
    onLog: (line) =>
      isNoteworthyPostgresLine(line)
        ? logger.line('postgres', line)
        : logger.fileOnly('postgres', line),
  });
  stoppers.push({
    name: 'Postgres',
    stop: postgres.stop,
    kill: () => process.kill(postgres.pid, 'SIGQUIT'),
  });
  if (postgres.dataDir !== layout.postgres)
    say(
      `the postgres user cannot enter this checkout's folder, so Postgres keeps its data in ${postgres.dataDir} (${layout.postgres} links to it)`,
    );
  if (postgres.isFresh)
    say(`initialised a new Postgres cluster in ${Math.round(postgres.timings.initMs)} ms`);
  await ensureDatabase(postgres.urlFor('postgres'), LOCAL_DATABASE_NAME);
  return postgres.urlFor(LOCAL_DATABASE_NAME);
}

/** The input and predictions streams the stack's apps use. */
export function planStreams(env: TLocalStackEnv): TStreamPlan[] {
  return [
    { name: env.INPUT_STREAM_NAME, shardCount: env.INPUT_STREAM_SHARDS },
    { name: env.PREDICTIONS_STREAM_NAME, shardCount: env.PREDICTIONS_STREAM_SHARDS },
  ];
}

/** Kinesis: the embedded kinesalite with both streams, or the endpoint KINESIS_ENDPOINT_URL names. */
export async function startStreamServer(
  context: TServerContext,
  streams: TStreamPlan[],
): Promise<string> {
  const { env, layout, say, stoppers } = context;
  if (env.KINESIS_ENDPOINT_URL) {
    say(
      `using the Kinesis endpoint at KINESIS_ENDPOINT_URL (${env.KINESIS_ENDPOINT_URL}); streams are not created there`,
    );
    return env.KINESIS_ENDPOINT_URL;
  }
  const kinesis = await startKinesis({
    port: env.TRIPCAST_KINESIS_PORT,
    dataDir: layout.kinesis,
    streams,
    region: env.AWS_REGION,
    portHint: KINESIS_PORT_HINT,
  });
  stoppers.push({ name: 'Kinesis', stop: kinesis.stop });
  return kinesis.endpoint;
}
