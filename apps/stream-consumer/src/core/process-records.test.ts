import { createKinesisClient, createTestStream } from '@tripcast/local-stack/testing';
import type { TLoadedModel } from '@tripcast/model/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createPgSinks } from '../stores/pg-sinks';
import { createMigratedDatabase, createTestModel, readAllRecords, rideEvent } from '../testing/fixtures';
import { processRecords } from './process-records';
import type { THandlerDeps } from './process-records';
import { createKinesisPublisher } from './put-records';
import type { TInputRecord } from './types';

type THistory = { idempotency_key: string; status: string; ride_id: string | null; predicted_duration: number | null; model_version: string | null; reason: string | null };

describe('processRecords (real Postgres, onnxruntime, kinesalite)', () => {
  let db: Awaited<ReturnType<typeof createMigratedDatabase>>;
  let model: TLoadedModel;
  const kinesis = createKinesisClient();
  let sequence = 1_000;

  const record = (data: unknown, shardId = 'shardId-000000000000'): TInputRecord => ({
    streamName: 'ride_events',
    shardId,
    sequenceNumber: String((sequence += 1)),
    partitionKey: 'k',
    data: Buffer.isBuffer(data) ? data : Buffer.from(typeof data === 'string' ? data : JSON.stringify(data)),
    arrivalMs: Date.now() - 50,
  });

  async function depsFor(options: { isTestRun?: boolean } = {}): Promise<THandlerDeps & { outputStream: string }> {
    const outputStream = await createTestStream({ shardCount: 1 });
    return {
      outputStream,
      getModel: () => model,
      publisher: options.isTestRun ? null : createKinesisPublisher({ client: kinesis, streamName: outputStream }),
      ...createPgSinks(db.pool),
    };
  }

  const history = async (keys: string[]) =>
    (
      await db.pool.query<THistory>(
        `SELECT idempotency_key, status, ride_id, predicted_duration, model_version, reason FROM prediction_history
         WHERE source = 'stream' AND idempotency_key = ANY($1) ORDER BY id`,
        [keys],
      )
    ).rows;

  beforeAll(async () => {
    db = await createMigratedDatabase();
    model = await createTestModel('v1');
  });
  afterAll(async () => {
    kinesis.destroy();
    await model.close();
    await db.drop();
  });

  it('scores valid events, publishes the course output and records one history row each', async () => {
    const deps = await depsFor();
    const records = [record(rideEvent(256, { trip_distance: 3.66 })), record(rideEvent('r-2', { trip_distance: 10 }))];
    const result = await processRecords(records, deps);
    expect(result.counters).toEqual({ received: 2, scored: 2, rejected: 0, published: 2, publishFailed: 0, historyRefused: 0 });
    expect(result.failedRecords).toEqual([]);

    const output = await readAllRecords(kinesis, deps.outputStream);
    // duration = 5 + 2 * trip_distance (the test model's weights), float32 precision.
    expect(output).toEqual([
      { model: 'ride_duration_prediction_model', version: 'v1', prediction: { ride_duration: expect.closeTo(12.32, 4) as number, ride_id: 256 } },
      { model: 'ride_duration_prediction_model', version: 'v1', prediction: { ride_duration: 25, ride_id: 'r-2' } },
    ]);
    const rows = await history(records.map((r) => `ride_events/${r.shardId}/${r.sequenceNumber}`));
    expect(rows.map((row) => [row.status, row.ride_id, row.model_version])).toEqual([
      ['scored', '256', 'v1'],
      ['scored', 'r-2', 'v1'],
    ]);
    expect(rows[1]!.predicted_duration).toBe(25);
  });

  it('dead-letters poison records with payload, position and reason, and still scores the rest', async () => {
    const deps = await depsFor();
    const poison = [record('not json at all'), record(rideEvent(3, { PULocationID: 999 })), record(new Uint8Array([0xc3, 0x28]).toString())];
    const good = record(rideEvent(4));
    const result = await processRecords([poison[0]!, good, poison[1]!, poison[2]!], deps);
    expect(result.counters).toMatchObject({ received: 4, scored: 1, rejected: 3, published: 1 });

    const { rows: dead } = await db.pool.query<{ sequence_number: string; payload: Buffer; reason: string; shard_id: string }>(
      'SELECT sequence_number, shard_id, payload, reason FROM dead_letters WHERE sequence_number = ANY($1) ORDER BY sequence_number',
      [poison.map((r) => r.sequenceNumber)],
    );
    expect(dead).toHaveLength(3);
    expect(dead[0]).toMatchObject({ sequence_number: poison[0]!.sequenceNumber, shard_id: 'shardId-000000000000' });
    expect(dead[0]!.payload.toString('utf8')).toBe('not json at all');
    expect(dead[0]!.reason).toMatch(/^data is not JSON/);
    expect(dead[1]!.reason).toContain('PULocationID must be a TLC LocationID between 1 and 265');
    expect(JSON.parse(dead[1]!.payload.toString('utf8'))).toEqual(rideEvent(3, { PULocationID: 999 }));

    const rows = await history([...poison, good].map((r) => `ride_events/${r.shardId}/${r.sequenceNumber}`));
    expect(rows.filter((row) => row.status === 'rejected').map((row) => row.ride_id)).toEqual([null, '3', null]);
    expect(rows.find((row) => row.status === 'scored')?.ride_id).toBe('4');
    expect((await readAllRecords(kinesis, deps.outputStream)).length).toBe(1);
  });

  it('NUL bytes and invalid UTF-8 go to dead_letters with their exact bytes; the good record behind them is scored and recorded', async () => {
    const deps = await depsFor();
    const nulRideId = Buffer.from('{"ride": {"PULocationID": 1, "DOLocationID": 2, "trip_distance": 1}, "ride_id": "a\\u0000b"}');
    const rawNul = Buffer.from('bad\u0000payload');
    const notUtf8 = Buffer.from([0x7b, 0xff, 0xfe, 0x00, 0x7d]);
    const poison = [record(nulRideId), record(rawNul), record(notUtf8)];
    const good = record(rideEvent(5));
    const result = await processRecords([...poison, good], deps);
    expect(result.counters).toMatchObject({ received: 4, scored: 1, rejected: 3, published: 1, historyRefused: 0 });
    const { rows: dead } = await db.pool.query<{ payload: Buffer; reason: string }>(
      'SELECT payload, reason FROM dead_letters WHERE sequence_number = ANY($1) ORDER BY sequence_number',
      [poison.map((r) => r.sequenceNumber)],
    );
    expect(dead.map((letter) => letter.payload)).toEqual([nulRideId, rawNul, notUtf8]);
    expect(dead.map((letter) => letter.reason)).toEqual([
      expect.stringContaining('ride_id must not contain a NUL') as string,
      expect.stringMatching(/^data is not JSON/) as string,
      'data is not valid UTF-8',
    ]);
    const rows = await history([...poison, good].map((r) => `ride_events/${r.shardId}/${r.sequenceNumber}`));
    expect(rows.map((row) => [row.status, row.ride_id])).toEqual([['rejected', 'a\\u0000b'], ['rejected', null], ['rejected', null], ['scored', '5']]);
  });

  it('never makes a second history row or dead letter for a redelivered record', async () => {
    const deps = await depsFor();
    const batch = [record(rideEvent(10)), record(rideEvent(11)), record('{broken')];
    await processRecords(batch, deps);
    await processRecords(batch, deps); // Lambda retry / consumer restart before its checkpoint
    const rows = await history(batch.map((r) => `ride_events/${r.shardId}/${r.sequenceNumber}`));
    expect(rows).toHaveLength(3);
    const { rows: dead } = await db.pool.query('SELECT 1 FROM dead_letters WHERE sequence_number = $1', [batch[2]!.sequenceNumber]);
    expect(dead).toHaveLength(1);
    // At-least-once output: the redelivered predictions were published again.
    expect((await readAllRecords(kinesis, deps.outputStream)).length).toBe(4);
  });

  it('TEST_RUN: predicts and records, publishes nothing', async () => {
    const deps = await depsFor({ isTestRun: true });
    const batch = [record(rideEvent(20)), record(rideEvent(21))];
    const result = await processRecords(batch, deps);
    expect(result.counters).toMatchObject({ scored: 2, published: 0 });
    expect(await readAllRecords(kinesis, deps.outputStream)).toEqual([]);
    expect(await history(batch.map((r) => `ride_events/${r.shardId}/${r.sequenceNumber}`))).toHaveLength(2);
  });

  it('calls the model once per batch and uses whichever model getModel returns (a promotion)', async () => {
    const v2 = await createTestModel('v2', 100);
    let calls = 0;
    let current: TLoadedModel = model;
    const deps = await depsFor();
    const counted = (m: TLoadedModel) => ({ ...m, predict: (columns: Parameters<TLoadedModel['predict']>[0]) => ((calls += 1), m.predict(columns)) });
    deps.getModel = () => counted(current);
    await processRecords(Array.from({ length: 50 }, (_, i) => record(rideEvent(100 + i))), deps);
    expect(calls).toBe(1);
    current = v2;
    const result = await processRecords([record(rideEvent(200, { trip_distance: 1 }))], deps);
    expect(result.modelVersion).toBe('v2');
    const output = (await readAllRecords(kinesis, deps.outputStream)) as { version: string; prediction: { ride_duration: number } }[];
    expect(output.at(-1)).toMatchObject({ version: 'v2', prediction: { ride_duration: 102 } });
    await v2.close();
  });

  it('withholds history for records whose output failed, and reports them for retry', async () => {
    const deps = await depsFor();
    deps.publisher = { publish: (entries) => Promise.resolve({ failedIndexes: entries.length > 1 ? [1] : [] }) };
    const batch = [record(rideEvent(30)), record(rideEvent(31)), record(rideEvent(32))];
    const result = await processRecords(batch, deps);
    expect(result.failedRecords).toEqual([batch[1]]);
    expect((await history(batch.map((r) => `ride_events/${r.shardId}/${r.sequenceNumber}`))).map((row) => row.ride_id)).toEqual(['30', '32']);
  });

  it('throws when the database cannot be written, so the runtime retries the batch', async () => {
    const deps = await depsFor({ isTestRun: true });
    deps.history = { insertStreamHistory: () => Promise.reject(new Error('connection refused')) };
    await expect(processRecords([record(rideEvent(40))], deps)).rejects.toThrow('connection refused');
  });

  it('a challenger whose predict throws is skipped and reported; production and the other challenger are recorded', async () => {
    const deps = await depsFor();
    const good = await createTestModel('c-good', 20);
    // A real session, closed: its predict throws, as a challenger failing mid-flight would.
    const failing = await createTestModel('c-failing', 50);
    await failing.close();
    deps.getChallengers = () => [
      { version: 'c-good', model: good, error: null },
      { version: 'c-failing', model: failing, error: null },
      { version: 'c-unloaded', model: null, error: 'artifact sha256 differs' },
    ];
    const records = [record(rideEvent(1, { trip_distance: 1 })), record(rideEvent(2, { trip_distance: 2 }))];
    try {
      const result = await processRecords(records, deps);
      expect(result.counters).toMatchObject({ scored: 2, published: 2 });
      expect(result.challengers).toEqual([
        { version: 'c-good', scored: 2, published: 0, publishFailed: 0, error: null },
        { version: 'c-failing', scored: 0, published: 0, publishFailed: 0, error: expect.stringMatching(/^predict failed: /) as string },
        { version: 'c-unloaded', scored: 0, published: 0, publishFailed: 0, error: 'artifact sha256 differs' },
      ]);
      const output = (await readAllRecords(kinesis, deps.outputStream)) as { version: string }[];
      expect(output.map((entry) => entry.version)).toEqual(['v1', 'v1']);
      const rows = await history(records.map((r) => `${r.streamName}/${r.shardId}/${r.sequenceNumber}`));
      expect(rows.map((row) => `${row.ride_id} ${row.model_version} ${row.predicted_duration}`)).toEqual(['1 v1 7', '2 v1 9', '1 c-good 22', '2 c-good 24']);
    } finally {
      await good.close();
    }
  });
});
