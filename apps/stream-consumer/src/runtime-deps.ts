import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { createPgPool } from '@tripcast/db/client';
import { s3OptionsFromEnv } from '@tripcast/model/object-store';
import type pg from 'pg';
import type { Logger } from 'pino';

import { createKinesisPublisher } from './core/put-records';
import type { THandlerDeps } from './core/process-records';
import type { TOutputPublisher } from './core/types';
import type { TEnv } from './env';
import { createPinnedModelSource, createRegistryModelSource } from './model-source';
import type { TModelSource } from './model-source';
import { createPgSinks } from './stores/pg-sinks';

export function createKinesisClient(env: Pick<TEnv, 'AWS_REGION' | 'KINESIS_ENDPOINT_URL'>): KinesisClient {
  return new KinesisClient({
    region: env.AWS_REGION,
    ...(env.KINESIS_ENDPOINT_URL
      ? {
          endpoint: env.KINESIS_ENDPOINT_URL,
          // The SDK's default HTTP/2 handler fails against a local http:// endpoint (ERR_HTTP2_ERROR).
          requestHandler: new NodeHttpHandler(),
        }
      : {}),
  });
}

export type TRuntimeDeps = {
  pool: pg.Pool;
  kinesis: KinesisClient;
  models: TModelSource;
  handler: THandlerDeps;
  close(): Promise<void>;
};

/** Real dependencies of the handler core, from the validated env (shared by Lambda and the consumer). */
export async function createRuntimeDeps(env: TEnv, log: Logger): Promise<TRuntimeDeps> {
  const pool = createPgPool(env.DATABASE_URL, { max: 10, applicationName: 'stream-consumer' });
  const kinesis = createKinesisClient(env);
  const load = { s3: s3OptionsFromEnv(env) };
  // MODEL_LOCATION pins a model as in the course; otherwise follow the registry's production version.
  const models = env.MODEL_LOCATION
    ? await createPinnedModelSource(env.MODEL_LOCATION, load)
    : await createRegistryModelSource({ databaseUrl: env.DATABASE_URL, name: env.MODEL_NAME, intervalMs: env.MODEL_WATCH_INTERVAL_MS, log, load });
  log.info({ source: env.MODEL_LOCATION ?? `registry:${env.MODEL_NAME}` }, 'model source ready');
  const publisher = env.TEST_RUN
    ? null
    : createKinesisPublisher({
        client: kinesis,
        streamName: env.PREDICTIONS_STREAM_NAME,
        onRetry: (info) => log.warn(info, 'PutRecords: retrying failed entries'),
      });
  if (env.TEST_RUN) log.warn('TEST_RUN: predictions are recorded in the history but not published');
  // One publisher per challenger stream, made on first use (challengers come and go).
  const challengerPublishers = new Map<string, TOutputPublisher>();
  const challengerPublisher = (version: string): TOutputPublisher | null => {
    if (env.TEST_RUN || !env.CHALLENGER_OUTPUT_STREAM) return null;
    const streamName = env.CHALLENGER_OUTPUT_STREAM.replaceAll('{version}', version);
    let publisher = challengerPublishers.get(streamName);
    if (!publisher) {
      publisher = createKinesisPublisher({ client: kinesis, streamName, retry: { maxAttempts: 2, baseDelayMs: 50, maxDelayMs: 200 } });
      challengerPublishers.set(streamName, publisher);
    }
    return publisher;
  };
  return {
    pool,
    kinesis,
    models,
    handler: {
      getModel: () => models.current(),
      publisher,
      getChallengers: () => models.challengers(),
      challengerPublisher,
      ...createPgSinks(pool),
    },
    async close() {
      await models.close();
      kinesis.destroy();
      await pool.end();
    },
  };
}
