import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { loadModel } from '@tripcast/model/runtime';
import { createPgPool } from '@tripcast/db/client';
import type pg from 'pg';
import type { Logger } from 'pino';

import { createKinesisPublisher } from './core/put-records';
import type { THandlerDeps } from './core/process-records';
import type { TScoringModel } from './core/types';
import type { TEnv } from './env';
import { createPgDeadLetterWriter, createPgHistoryWriter } from './stores/history-writer';

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

export type TModelSource = { current(): TScoringModel; close(): Promise<void> };

/**
 * The model to score with. MODEL_LOCATION (the course's override) pins one folder or s3://
 * prefix; otherwise the registry's production version of MODEL_NAME, re-resolved so a
 * promotion is picked up without a restart.
 */
export async function createModelSource(env: TEnv, log: Logger): Promise<TModelSource> {
  const s3 = env.S3_ENDPOINT_URL ? { s3: { endpoint: env.S3_ENDPOINT_URL, region: env.AWS_REGION } } : {};
  if (env.MODEL_LOCATION) {
    const model = await loadModel(env.MODEL_LOCATION, s3);
    log.info({ model: model.name, version: model.version, uri: env.MODEL_LOCATION }, 'model loaded from MODEL_LOCATION');
    return { current: () => model, close: () => model.close() };
  }
  throw new Error('MODEL_LOCATION is required until the model registry watcher (@tripcast/model/store) is wired in');
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
  const models = await createModelSource(env, log);
  const publisher = env.TEST_RUN
    ? null
    : createKinesisPublisher({
        client: kinesis,
        streamName: env.PREDICTIONS_STREAM_NAME,
        onRetry: (info) => log.warn(info, 'PutRecords: retrying failed entries'),
      });
  if (env.TEST_RUN) log.warn('TEST_RUN: predictions are recorded in the history but not published');
  return {
    pool,
    kinesis,
    models,
    handler: {
      getModel: () => models.current(),
      publisher,
      history: createPgHistoryWriter(pool),
      deadLetters: createPgDeadLetterWriter(pool),
    },
    async close() {
      await models.close();
      kinesis.destroy();
      await pool.end();
    },
  };
}
