import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { DescribeStreamSummaryCommand, ListShardsCommand, MergeShardsCommand, SplitShardCommand } from '@aws-sdk/client-kinesis';
import { createDbClient } from '@tripcast/db/client';
import { createKinesisClient, createTestStream } from '@tripcast/local-stack/testing';
import { ZModelCard } from '@tripcast/model';
import { promoteModel, registerModel } from '@tripcast/model/store';
import { describe, expect, it, onTestFinished } from 'vitest';

import { createKinesisPublisher } from '../core/put-records';
import { createPgSinks } from '../stores/pg-sinks';
import { spawnConsumer } from '../testing/consumer-process';
import { useConsumerSuite } from '../testing/consumer-suite';
import { throttleSomeEntries } from '../testing/throttle';
import { buildTestModelFiles, createTestModel, readAllRecords, rideEvent, silentLog, TEST_MODEL_NAME, waitFor } from '../testing/fixtures';
import { createConsumer, type TConsumerOptions } from './consumer';
import { startHealthServer } from './health-server';

describe('standalone consumer: scoring, poison, model promotion, resharding (kinesalite + Postgres)', () => {
  const suite = useConsumerSuite();

  /** An in-process consumer of `stream` on the suite's Kinesis and database, with the tests' short lease and idle poll. */
  function createTestConsumer(stream: string, options: Pick<TConsumerOptions, 'batchSize' | 'handler'> & Partial<TConsumerOptions>) {
    return createConsumer({
      kinesis: suite.kinesis,
      pool: suite.db.pool,
      streamName: stream,
      log: silentLog,
      leaseTtlMs: 1_500,
      idlePollMs: 50,
      initialPosition: 'TRIM_HORIZON',
      ...options,
    });
  }

  it('a poison record goes to the DLQ and the events after it are scored (in process)', async () => {
    const input = await createTestStream({ shardCount: 1 });
    const output = await createTestStream({ shardCount: 1 });
    await suite.put(input, [rideEvent(1), '{"ride": nope', rideEvent(2, { DOLocationID: 0 }), ...Array.from({ length: 20 }, (_, i) => rideEvent(10 + i))]);
    const model = await createTestModel('v1');
    const consumer = createTestConsumer(input, {
      batchSize: 5,
      handler: {
        getModel: () => model,
        publisher: createKinesisPublisher({ client: suite.kinesis, streamName: output }),
        ...createPgSinks(suite.db.pool),
      },
    });
    const health = await startHealthServer({ consumer, host: '127.0.0.1', port: 0 });
    consumer.start();
    try {
      const counts = await waitFor(() => suite.countHistory(input), (c) => Number(c.rows) === 23, { what: '23 history rows' });
      await waitFor(() => fetch(`${health.url}/health`).then((r) => r.status), (status) => status === 200, { what: '/health 200' });
      const metrics = (await (await fetch(`${health.url}/metrics`)).json()) as Record<string, unknown>;
      expect(metrics).toMatchObject({ status: 'running', recordsReceived: 23, recordsScored: 21, deadLetters: 2, modelVersion: 'v1', maxIteratorAgeMs: 0 });
      expect(metrics.iteratorAgeMs).toEqual({ 'shardId-000000000000': 0 });
      expect((await fetch(`${health.url}/nope`)).status).toBe(404);
      expect(counts).toMatchObject({ scored: '21', rejected: '2' });
      const { rows: dead } = await suite.db.pool.query<{ reason: string }>('SELECT reason FROM dead_letters WHERE stream_name = $1 ORDER BY id', [input]);
      expect(dead.map((d) => d.reason)).toEqual([expect.stringMatching(/^data is not JSON/), expect.stringContaining('DOLocationID must be a TLC LocationID')]);
      await waitFor(() => Promise.resolve(consumer.snapshot()), (s) => s.checkpoints >= 5, { what: 'checkpoints' });
      expect(consumer.snapshot()).toMatchObject({ recordsScored: 21, deadLetters: 2, shards: ['shardId-000000000000'] });
    } finally {
      await consumer.stop();
      expect((await fetch(`${health.url}/health`)).status).toBe(503); // stopping: out of rotation
      health.server.close();
      await model.close();
    }
    // Stopped: the lease is released and the checkpoint is the shard's last record.
    const { rows: leases } = await suite.db.pool.query<{ owner: string | null }>('SELECT owner FROM shard_leases WHERE stream_name = $1', [input]);
    expect(leases).toEqual([{ owner: null }]);
    expect((await readAllRecords(suite.kinesis, output)).length).toBe(21);
  });

  it('NUL bytes and invalid UTF-8 on a shard: dead-lettered with their raw bytes, the records behind them scored, the shard moves on', async () => {
    // Used to block the shard for good: Postgres refused the history batch (0x00) and the batch was retried forever.
    const input = await createTestStream({ shardCount: 1 });
    const output = await createTestStream({ shardCount: 1 });
    const poison = [
      Buffer.from('{"ride": {"PULocationID": 1, "DOLocationID": 2, "trip_distance": 1}, "ride_id": "a\\u0000b"}'),
      Buffer.from('bad\u0000payload'),
      Buffer.from([0x7b, 0xc3, 0x28, 0x00, 0x7d]),
    ];
    await suite.put(input, [...poison, rideEvent(1), rideEvent(2)]);
    const model = await createTestModel('v1');
    const consumer = createTestConsumer(input, {
      batchSize: 2,
      handler: { getModel: () => model, publisher: createKinesisPublisher({ client: suite.kinesis, streamName: output }), ...createPgSinks(suite.db.pool) },
    });
    consumer.start();
    try {
      await waitFor(() => suite.countHistory(input), (c) => Number(c.rows) === 5, { what: '5 history rows' });
      expect(await suite.countHistory(input)).toMatchObject({ scored: '2', rejected: '3' });
      const { rows: dead } = await suite.db.pool.query<{ payload: Buffer; reason: string }>('SELECT payload, reason FROM dead_letters WHERE stream_name = $1 ORDER BY sequence_number', [input]);
      expect(dead.map((letter) => letter.payload)).toEqual(poison);
      expect(dead.map((letter) => letter.reason)).toEqual([
        expect.stringContaining('ride_id must not contain a NUL') as string,
        expect.stringMatching(/^data is not JSON/) as string,
        'data is not valid UTF-8',
      ]);
      await waitFor(() => Promise.resolve(consumer.snapshot()), (snapshot) => snapshot.checkpoints >= 3, { what: 'the shard checkpointed past every record' });
      expect(consumer.health()).toEqual({ isHealthy: true, reason: null, failingChallengers: [] });
      expect(((await readAllRecords(suite.kinesis, output)) as { prediction: { ride_id: number } }[]).map((record) => record.prediction.ride_id)).toEqual([1, 2]);
    } finally {
      await consumer.stop();
      await model.close();
    }
  });

  it('/health turns unhealthy, naming the shard and the error, when a shard holds records without advancing; healthy again once it moves', async () => {
    const input = await createTestStream({ shardCount: 1 });
    const model = await createTestModel('v1');
    // A history sink that fails until told otherwise: a database that keeps refusing writes for a
    // reason that is not the data (permissions, a dropped table). Retrying is right; silence is not.
    let isBroken = true;
    const sinks = createPgSinks(suite.db.pool);
    const consumer = createTestConsumer(input, {
      batchSize: 10,
      stallThresholdMs: 1_000,
      handler: {
        getModel: () => model,
        publisher: null,
        deadLetters: sinks.deadLetters,
        history: { insertStreamHistory: (rows) => (isBroken ? Promise.reject(new Error('permission denied for table prediction_history')) : sinks.history.insertStreamHistory(rows)) },
      },
    });
    const health = await startHealthServer({ consumer, host: '127.0.0.1', port: 0 });
    await suite.put(input, [rideEvent(1), rideEvent(2)]);
    consumer.start();
    try {
      const body = await waitFor(
        () => fetch(`${health.url}/health`).then(async (r) => ({ httpStatus: r.status, ...((await r.json()) as { status: string; reason?: string }) })),
        (b) => b.httpStatus === 503 && b.reason?.startsWith('shard ') === true,
        { what: '/health 503', timeoutMs: 15_000 },
      );
      expect(body.status).toBe('unhealthy');
      expect(body.reason).toMatch(/^shard shardId-000000000000 has not advanced for \d+ s with 2 records waiting \(last error: permission denied for table prediction_history\)/);
      expect(consumer.snapshot().stalledShards).toEqual([expect.objectContaining({ shardId: 'shardId-000000000000', waitingRecords: 2 })]);
      isBroken = false;
      await waitFor(() => fetch(`${health.url}/health`).then((r) => r.status), (status) => status === 200, { what: '/health 200 again', timeoutMs: 15_000 });
      expect(await suite.countHistory(input)).toMatchObject({ scored: '2' });
    } finally {
      await consumer.stop();
      health.server.close();
      await model.close();
    }
  });

  it('throttled PutRecords: only failed entries are re-sent, every event is scored once and published', async () => {
    const input = await createTestStream({ shardCount: 2 });
    const output = await createTestStream({ shardCount: 1 });
    await suite.put(input, Array.from({ length: 300 }, (_, i) => rideEvent(i + 1)));
    const model = await createTestModel('v1');
    // A client of its own whose PutRecords results are rewritten (see testing/throttle.ts for why
    // this double is unavoidable): on each shard's first calls, every ride_id divisible by 4 is
    // refused with ProvisionedThroughputExceededException.
    const outputClient = createKinesisClient();
    throttleSomeEntries(outputClient, (text, call) => call <= 6 && (JSON.parse(text) as { prediction: { ride_id: number } }).prediction.ride_id % 4 === 0);
    const publisher = createKinesisPublisher({ client: outputClient, streamName: output, retry: { maxAttempts: 8, baseDelayMs: 20, maxDelayMs: 200 } });
    const consumer = createTestConsumer(input, {
      batchSize: 50,
      handler: { getModel: () => model, publisher, ...createPgSinks(suite.db.pool) },
    });
    consumer.start();
    try {
      await waitFor(() => suite.countHistory(input), (c) => Number(c.rows) === 300, { what: '300 history rows' });
    } finally {
      await consumer.stop();
      await model.close();
      outputClient.destroy();
    }
    expect(await suite.countHistory(input)).toMatchObject({ rows: '300', keys: '300', scored: '300' });
    expect(publisher.stats.throttledEntries).toBeGreaterThan(0);
    const published = (await readAllRecords(suite.kinesis, output)) as { prediction: { ride_id: number } }[];
    // Nothing lost and, since only the refused entries were re-sent, nothing duplicated either.
    expect(published.map((record) => record.prediction.ride_id).sort((a, b) => a - b)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
  });

  it('serves the registry production model and picks up a promotion without restart', async () => {
    const prisma = createDbClient(suite.db.url, { max: 2 });
    const storeUri = await mkdtemp(path.join(tmpdir(), 'tripcast-store-'));
    onTestFinished(() => rm(storeUri, { recursive: true, force: true }));
    for (const [version, intercept] of [['r1', 5], ['r2', 100]] as const) {
      const { onnx, card } = buildTestModelFiles(version, intercept);
      await registerModel({ db: prisma, storeUri, onnx, card: ZModelCard.parse(card), actor: 'test' });
    }
    await promoteModel(prisma, { name: TEST_MODEL_NAME, version: 'r1', actor: 'test' });
    const input = await createTestStream({ shardCount: 1 });
    const output = await createTestStream({ shardCount: 1 });
    const consumer = spawnConsumer({ DATABASE_URL: suite.db.url, INPUT_STREAM_NAME: input, PREDICTIONS_STREAM_NAME: output, MODEL_WATCH_INTERVAL_MS: '200' });
    suite.children.push(consumer);
    const versions = async () => ((await readAllRecords(suite.kinesis, output)) as { version: string; prediction: { ride_id: number; ride_duration: number } }[]);
    await suite.put(input, [rideEvent(1, { trip_distance: 1 })]);
    await waitFor(versions, (records) => records.length === 1, { what: 'first prediction' });
    await promoteModel(prisma, { name: TEST_MODEL_NAME, version: 'r2', actor: 'test' });
    await waitFor(() => consumer.metrics(), () => true);
    // Keep sending until the new version shows up (the watcher polls every 200 ms).
    let rideId = 2;
    const records = await waitFor(
      async () => {
        await suite.put(input, [rideEvent(rideId++, { trip_distance: 1 })]);
        return versions();
      },
      (all) => all.at(-1)?.version === 'r2',
      { what: 'a prediction by r2' },
    );
    await prisma.$disconnect();
    expect(records[0]).toMatchObject({ version: 'r1', prediction: { ride_id: 1, ride_duration: 7 } });
    expect(records.at(-1)).toMatchObject({ version: 'r2', prediction: { ride_duration: 102 } });
    expect((await consumer.metrics()).modelVersion).toBe('r2');
  });

  it('follows a shard split: the parent is read to its end before its children start', async () => {
    const input = await createTestStream({ shardCount: 1 });
    const output = await createTestStream({ shardCount: 1 });
    await suite.put(input, Array.from({ length: 100 }, (_, i) => rideEvent(i + 1)));
    const { Shards = [] } = await suite.kinesis.send(new ListShardsCommand({ StreamName: input }));
    const parent = Shards[0]!;
    const middle = (BigInt(parent.HashKeyRange!.StartingHashKey!) + BigInt(parent.HashKeyRange!.EndingHashKey!)) / 2n;
    await suite.kinesis.send(new SplitShardCommand({ StreamName: input, ShardToSplit: parent.ShardId, NewStartingHashKey: middle.toString() }));
    await waitForActiveStream(input, 'split');
    await suite.put(input, Array.from({ length: 100 }, (_, i) => rideEvent(1_000 + i)));

    suite.start(input, output, { CONSUMER_BATCH_SIZE: '10' });
    await waitFor(() => suite.countHistory(input), (c) => Number(c.rows) === 200, { what: '200 rows' });
    const rows = await readHistoryByShard(input);
    expect(rows[0]).toMatchObject({ shard: parent.ShardId, n: '100' });
    expect(rows.slice(1).map((row) => row.shard).sort()).toEqual(['shardId-000000000001', 'shardId-000000000002']);
    // Every parent row was written before any child row.
    for (const child of rows.slice(1)) expect(BigInt(child.first)).toBeGreaterThan(BigInt(rows[0]!.last));
    const { rows: ended } = await suite.db.pool.query<{ shard_id: string }>(
      'SELECT shard_id FROM stream_checkpoints WHERE stream_name = $1 AND is_shard_ended',
      [input],
    );
    expect(ended.map((row) => row.shard_id)).toEqual([parent.ShardId]);
  });

  it('follows a shard merge: both parents are read to their end before the merged child starts', async () => {
    const input = await createTestStream({ shardCount: 2 });
    const output = await createTestStream({ shardCount: 1 });
    await suite.put(input, Array.from({ length: 60 }, (_, i) => rideEvent(i + 1)));
    const { Shards = [] } = await suite.kinesis.send(new ListShardsCommand({ StreamName: input }));
    await suite.kinesis.send(new MergeShardsCommand({ StreamName: input, ShardToMerge: Shards[0]!.ShardId, AdjacentShardToMerge: Shards[1]!.ShardId }));
    await waitForActiveStream(input, 'merge');
    await suite.put(input, Array.from({ length: 40 }, (_, i) => rideEvent(1_000 + i)));

    suite.start(input, output, { CONSUMER_BATCH_SIZE: '10' });
    await waitFor(() => suite.countHistory(input), (c) => Number(c.rows) === 100, { what: '100 rows' });
    const rows = await readHistoryByShard(input);
    const child = rows.find((row) => row.shard === 'shardId-000000000002')!;
    expect(child.n).toBe('40');
    for (const parent of rows.filter((row) => row !== child)) expect(BigInt(child.first)).toBeGreaterThan(BigInt(parent.last));
  });

  /** Resharding is asynchronous: the stream is UPDATING until the new shards exist. */
  async function waitForActiveStream(stream: string, after: string): Promise<void> {
    await waitFor(
      () => suite.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream })),
      (summary) => summary.StreamDescriptionSummary?.StreamStatus === 'ACTIVE',
      { what: `stream ACTIVE after ${after}` },
    );
  }

  /** History rows per shard of the stream, in the order their first row was written (id order). */
  async function readHistoryByShard(stream: string) {
    const { rows } = await suite.db.pool.query<{ shard: string; first: string; last: string; n: string }>(
      `SELECT split_part(idempotency_key, '/', 2) AS shard, min(id) AS first, max(id) AS last, count(*) AS n
       FROM prediction_history WHERE idempotency_key LIKE $1 GROUP BY 1 ORDER BY 2`,
      [`${stream}/%`],
    );
    return rows;
  }
});
