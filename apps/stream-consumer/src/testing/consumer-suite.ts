// Shared set-up of the consumer suites: a migrated database, a model folder, child consumers
// killed after each test, and helpers to put events and count history rows.
import { rm } from 'node:fs/promises';

import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { createKinesisClient } from '@tripcast/local-stack/testing';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';

import { spawnConsumer } from './consumer-process';
import type { TConsumerProcess } from './consumer-process';
import { createMigratedDatabase, writeTestModelFolder } from './fixtures';

/** Call inside a `describe`: registers the hooks and returns the suite's helpers. */
export function useConsumerSuite() {
  const suite = {
    db: undefined as unknown as Awaited<ReturnType<typeof createMigratedDatabase>>,
    modelFolder: '',
    kinesis: createKinesisClient(),
    children: [] as TConsumerProcess[],

    async put(stream: string, events: unknown[]) {
      for (let i = 0; i < events.length; i += 500) {
        const records = events.slice(i, i + 500).map((event, k) => ({
          Data: Buffer.isBuffer(event) ? event : Buffer.from(typeof event === 'string' ? event : JSON.stringify(event)),
          PartitionKey: typeof event === 'string' || Buffer.isBuffer(event) ? `poison-${i + k}` : String((event as { ride_id: number }).ride_id),
        }));
        const response = await suite.kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: records }));
        expect(response.FailedRecordCount ?? 0).toBe(0);
      }
    },

    async countHistory(stream: string) {
      const { rows } = await suite.db.pool.query<{ rows: string; keys: string; scored: string; rejected: string }>(
        `SELECT count(*) AS rows, count(DISTINCT idempotency_key) AS keys,
                count(*) FILTER (WHERE status = 'scored') AS scored, count(*) FILTER (WHERE status = 'rejected') AS rejected
         FROM prediction_history WHERE source = 'stream' AND idempotency_key LIKE $1`,
        [`${stream}/%`],
      );
      return rows[0]!;
    },

    /** The real CLI (`cli.ts consume`) as a child process with a pinned test model. */
    start(input: string, output: string, extra: Record<string, string> = {}) {
      const consumer = spawnConsumer({
        DATABASE_URL: suite.db.url,
        INPUT_STREAM_NAME: input,
        PREDICTIONS_STREAM_NAME: output,
        MODEL_LOCATION: suite.modelFolder,
        ...extra,
      });
      suite.children.push(consumer);
      return consumer;
    },
  };

  beforeAll(async () => {
    suite.db = await createMigratedDatabase();
    suite.modelFolder = await writeTestModelFolder('v1');
  });
  afterEach(async () => {
    for (const consumer of suite.children.splice(0)) {
      consumer.child.kill('SIGKILL');
      await consumer.exited;
    }
  });
  afterAll(async () => {
    suite.kinesis.destroy();
    await suite.db.drop();
    if (suite.modelFolder) await rm(suite.modelFolder, { recursive: true, force: true });
  });
  return suite;
}
