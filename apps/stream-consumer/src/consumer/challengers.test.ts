import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { createDbClient } from '@tripcast/db/client';
import { createTestStream } from '@tripcast/local-stack/testing';
import { ZModelCard } from '@tripcast/model';
import { addChallenger, promoteModel, registerModel } from '@tripcast/model/store';
import { describe, expect, it, onTestFinished } from 'vitest';

import { spawnConsumer } from '../testing/consumer-process';
import { useConsumerSuite } from '../testing/consumer-suite';
import { buildTestModelFiles, readAllRecords, rideEvent, TEST_MODEL_NAME, waitFor } from '../testing/fixtures';

type TOutput = { model: string; version: string; prediction: { ride_id: number; ride_duration: number } };

describe('challengers on the stream (real CLI, kinesalite, Postgres, registry)', () => {
  const suite = useConsumerSuite();

  it('production output unchanged, each challenger recorded with version and role, its own stream when configured; a broken one skipped and reported', async () => {
    const prisma = createDbClient(suite.db.url, { max: 2 });
    const storeUri = await mkdtemp(path.join(tmpdir(), 'tripcast-store-'));
    onTestFinished(() => rm(storeUri, { recursive: true, force: true }));
    // duration = intercept + 2 * distance: prod 5, good challenger 20, broken challenger 50.
    for (const [version, intercept] of [['prod', 5], ['good', 20], ['broken', 50]] as const) {
      const { onnx, card } = buildTestModelFiles(version, intercept);
      await registerModel({ db: prisma, storeUri, onnx, card: ZModelCard.parse(card), actor: 'test' });
    }
    // Its artifact no longer matches the registry's sha256: it fails to load.
    await writeFile(path.join(storeUri, 'models', TEST_MODEL_NAME, 'broken', 'model.onnx'), 'corrupted');
    await promoteModel(prisma, { name: TEST_MODEL_NAME, version: 'prod', actor: 'test' });
    await addChallenger(prisma, { name: TEST_MODEL_NAME, version: 'good', actor: 'test' });
    await addChallenger(prisma, { name: TEST_MODEL_NAME, version: 'broken', actor: 'test' });
    await prisma.$disconnect();

    const input = await createTestStream({ shardCount: 1 });
    const output = await createTestStream({ shardCount: 1 });
    const goodStream = await createTestStream({ name: `${output}-good`, shardCount: 1 });
    const consumer = spawnConsumer({
      DATABASE_URL: suite.db.url,
      INPUT_STREAM_NAME: input,
      PREDICTIONS_STREAM_NAME: output,
      CHALLENGER_OUTPUT_STREAM: `${output}-{version}`,
      MODEL_WATCH_INTERVAL_MS: '200',
      CONSUMER_BATCH_SIZE: '25',
    });
    suite.children.push(consumer);
    await suite.put(input, Array.from({ length: 60 }, (_, i) => rideEvent(i + 1, { trip_distance: 1 })));

    const records = (await waitFor(() => readAllRecords(suite.kinesis, output), (all) => all.length === 60, { what: '60 production records' })) as TOutput[];
    // Production's course record exactly as without challengers: its version, its minutes, one per ride.
    expect(new Set(records.map((record) => `${record.model} ${record.version} ${record.prediction.ride_duration}`))).toEqual(
      new Set([`${TEST_MODEL_NAME} prod 7`]),
    );
    expect(records.map((record) => record.prediction.ride_id).sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));

    const history = async () =>
      (
        await suite.db.pool.query<{ version: string; role: string; n: number; minutes: number }>(
          `SELECT model_version AS version, role::text, count(*)::int AS n, min(predicted_duration) AS minutes
             FROM prediction_history WHERE source = 'stream' AND idempotency_key LIKE $1 GROUP BY 1, 2 ORDER BY 1`,
          [`${input}/%`],
        )
      ).rows;
    const rows = await waitFor(history, (all) => all.reduce((sum, row) => sum + row.n, 0) === 120, { what: '120 history rows' });
    expect(rows).toEqual([
      { version: 'good', role: 'challenger', n: 60, minutes: 22 },
      { version: 'prod', role: 'production', n: 60, minutes: 7 },
    ]);
    const challengerRecords = (await waitFor(() => readAllRecords(suite.kinesis, goodStream), (all) => all.length === 60, { what: "the good challenger's stream" })) as TOutput[];
    expect(challengerRecords[0]).toMatchObject({ model: TEST_MODEL_NAME, version: 'good', prediction: { ride_duration: 22 } });

    // The broken challenger is skipped and reported, and the consumer stays healthy.
    const healthUrl = await consumer.healthUrl;
    const health = (await (await fetch(`${healthUrl}/health`)).json()) as { status: string; failingChallengers: { version: string; error: string }[] };
    expect(health.status).toBe('ok');
    expect(health.failingChallengers).toEqual([{ version: 'broken', error: expect.stringMatching(/sha256|onnx|protobuf|model/i) as string }]);
    const metrics = (await (await fetch(`${healthUrl}/metrics`)).json()) as { recordsScored: number; modelVersion: string; challengers: unknown[] };
    expect(metrics).toMatchObject({ recordsScored: 60, modelVersion: 'prod' });
    expect(metrics.challengers).toEqual([
      expect.objectContaining({ version: 'good', status: 'ok', recordsScored: 60, recordsPublished: 60 }),
      expect.objectContaining({ version: 'broken', status: 'failing', recordsScored: 0 }),
    ]);
    // ... and reported in Postgres for the console, which runs in another process.
    const faults = await waitFor(
      async () => (await suite.db.pool.query<{ version: string; error: string }>("SELECT model_version AS version, error FROM challenger_faults WHERE source = 'stream'")).rows,
      (rows) => rows.length > 0,
      { what: 'a challenger fault row' },
    );
    expect(faults).toEqual([{ version: 'broken', error: expect.stringMatching(/sha256|onnx|protobuf|model/i) as string }]);
  });
});
