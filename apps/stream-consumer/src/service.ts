import type { Logger } from 'pino';

import { createConsumer } from './consumer/consumer';
import { startHealthServer } from './consumer/health-server';
import type { TEnv } from './env';
import { createRuntimeDeps } from './runtime-deps';

/** Wire the standalone consumer from the env: deps, consumer, health server; `stop()` for SIGTERM. */
export async function startConsumerService(env: TEnv, log: Logger) {
  const deps = await createRuntimeDeps(env, log);
  const consumer = createConsumer({
    kinesis: deps.kinesis,
    pool: deps.pool,
    streamName: env.INPUT_STREAM_NAME,
    handler: deps.handler,
    log,
    leaseTtlMs: env.CONSUMER_LEASE_TTL_MS,
    batchSize: env.CONSUMER_BATCH_SIZE,
    idlePollMs: env.CONSUMER_IDLE_POLL_MS,
    initialPosition: env.CONSUMER_INITIAL_POSITION,
    stallThresholdMs: env.CONSUMER_STALL_THRESHOLD_MS,
  });
  const health = await startHealthServer({ consumer, host: env.HEALTH_HOST, port: env.HEALTH_PORT });
  consumer.start();
  log.info(
    { health: `${health.url}/health`, metrics: `${health.url}/metrics`, input: env.INPUT_STREAM_NAME, output: env.TEST_RUN ? null : env.PREDICTIONS_STREAM_NAME },
    'stream consumer running',
  );
  return {
    consumer,
    healthUrl: health.url,
    async stop() {
      await consumer.stop();
      await new Promise<void>((resolve) => health.server.close(() => resolve()));
      await deps.close();
    },
  };
}

/** Start the consumer and stop it cleanly on SIGTERM / SIGINT (exit 0), as ECS and `npm start` expect. */
export async function runConsumerService(env: TEnv, log: Logger): Promise<void> {
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
}
