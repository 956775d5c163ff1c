// AWS Lambda entry for a Kinesis event source mapping (ReportBatchItemFailures). Deps are built
// once per container on the first event and reused by every invocation after it.
import { readEnv } from './env';
import { createKinesisHandler } from './lambda/handle-kinesis-event';
import { createLogger } from './logger';
import { createRuntimeDeps } from './runtime-deps';
import type { TRuntimeDeps } from './runtime-deps';

const env = readEnv();
const log = createLogger(env.LOG_LEVEL);
let deps: Promise<TRuntimeDeps> | undefined;

export const handler = createKinesisHandler({
  log,
  getDeps: async () => {
    deps ??= createRuntimeDeps(env, log).catch((error: unknown) => {
      deps = undefined; // retry initialisation on the next invocation
      throw error;
    });
    return (await deps).handler;
  },
});
