// Container / `npm start` entry: read env, start the consumer, stop cleanly on SIGTERM/SIGINT.
import { readEnv } from './env';
import { createLogger } from './logger';
import { startConsumerService } from './service';

const env = readEnv();
const log = createLogger(env.LOG_LEVEL);
const service = await startConsumerService(env, log);
let isStopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (isStopping) return;
    isStopping = true;
    log.info({ signal }, 'stopping: finishing in-flight batches, checkpointing, releasing leases');
    service.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'unclean stop');
        process.exit(1);
      },
    );
  });
}
