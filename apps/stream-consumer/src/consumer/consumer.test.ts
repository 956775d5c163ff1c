import { DescribeStreamSummaryCommand, ListShardsCommand, MergeShardsCommand, PutRecordsCommand, SplitShardCommand } from '@aws-sdk/client-kinesis';
import { createKinesisClient, createTestStream } from '@tripcast/local-stack/testing';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { createDbClient } from '@tripcast/db/client';
import { ZModelCard } from '@tripcast/model';
import { promoteModel, registerModel } from '@tripcast/model/store';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { createKinesisPublisher } from '../core/put-records';
import { createPgDeadLetterWriter, createPgHistoryWriter } from '../stores/history-writer';
import { spawnConsumer } from '../testing/consumer-process';
import type { TConsumerProcess } from '../testing/consumer-process';
import { buildTestModelFiles, createMigratedDatabase, createTestModel, readAllRecords, rideEvent, silentLog, TEST_MODEL_NAME, waitFor, writeTestModelFolder } from '../testing/fixtures';
import { createConsumer } from './consumer';

type TDb = Awaited<ReturnType<typeof createMigratedDatabase>>;

describe('standalone consumer (kinesalite + Postgres)', () => {
  let db: TDb;
  let modelFolder: string;
  const kinesis = createKinesisClient();
  const children: TConsumerProcess[] = [];

  beforeAll(async () => {
    db = await createMigratedDatabase();
    modelFolder = await writeTestModelFolder('v1');
  });
  afterEach(async () => {
    for (const consumer of children.splice(0)) {
      consumer.child.kill('SIGKILL');
      await consumer.exited;
    }
  });
  afterAll(async () => {
    kinesis.destroy();
    await db.drop();
  });

  async function put(stream: string, events: unknown[]) {
    for (let i = 0; i < events.length; i += 500) {
      const records = events.slice(i, i + 500).map((event, k) => ({
        Data: Buffer.from(typeof event === 'string' ? event : JSON.stringify(event)),
        PartitionKey: typeof event === 'string' ? `poison-${i + k}` : String((event as { ride_id: number }).ride_id),
      }));
      const response = await kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: records }));
      expect(response.FailedRecordCount ?? 0).toBe(0);
    }
  }

  const countHistory = async (stream: string) =>
    (
      await db.pool.query<{ rows: string; keys: string; scored: string; rejected: string }>(
        `SELECT count(*) AS rows, count(DISTINCT idempotency_key) AS keys,
                count(*) FILTER (WHERE status = 'scored') AS scored, count(*) FILTER (WHERE status = 'rejected') AS rejected
         FROM prediction_history WHERE source = 'stream' AND idempotency_key LIKE $1`,
        [`${stream}/%`],
      )
    ).rows[0]!;

  function start(input: string, output: string, extra: Record<string, string> = {}) {
    const consumer = spawnConsumer({
      DATABASE_URL: db.url,
      INPUT_STREAM_NAME: input,
      PREDICTIONS_STREAM_NAME: output,
      MODEL_LOCATION: modelFolder,
      ...extra,
    });
    children.push(consumer);
    return consumer;
  }

  it('a poison record goes to the DLQ and the events after it are scored (in process)', async () => {
    const input = await createTestStream({ shardCount: 1 });
    const output = await createTestStream({ shardCount: 1 });
    await put(input, [rideEvent(1), '{"ride": nope', rideEvent(2, { DOLocationID: 0 }), ...Array.from({ length: 20 }, (_, i) => rideEvent(10 + i))]);
    const model = await createTestModel('v1');
    const consumer = createConsumer({
      kinesis,
      pool: db.pool,
      streamName: input,
      log: silentLog,
      leaseTtlMs: 1_500,
      batchSize: 5,
      idlePollMs: 50,
      initialPosition: 'TRIM_HORIZON',
      handler: {
        getModel: () => model,
        publisher: createKinesisPublisher({ client: kinesis, streamName: output }),
        history: createPgHistoryWriter(db.pool),
        deadLetters: createPgDeadLetterWriter(db.pool),
      },
    });
    consumer.start();
    try {
      const counts = await waitFor(() => countHistory(input), (c) => Number(c.rows) === 23, { what: '23 history rows' });
      expect(counts).toMatchObject({ scored: '21', rejected: '2' });
      const { rows: dead } = await db.pool.query<{ reason: string }>('SELECT reason FROM dead_letters WHERE stream_name = $1 ORDER BY id', [input]);
      expect(dead.map((d) => d.reason)).toEqual([expect.stringMatching(/^data is not JSON/), expect.stringContaining('DOLocationID must be a TLC LocationID')]);
      await waitFor(() => Promise.resolve(consumer.snapshot()), (s) => s.checkpoints >= 5, { what: 'checkpoints' });
      expect(consumer.snapshot()).toMatchObject({ recordsScored: 21, deadLetters: 2, shards: ['shardId-000000000000'] });
    } finally {
      await consumer.stop();
      await model.close();
    }
    // Stopped: the lease is released and the checkpoint is the shard's last record.
    const { rows: leases } = await db.pool.query<{ owner: string | null }>('SELECT owner FROM shard_leases WHERE stream_name = $1', [input]);
    expect(leases).toEqual([{ owner: null }]);
    expect((await readAllRecords(kinesis, output)).length).toBe(21);
  });

  it('SIGKILL mid-stream, restart: every event has exactly one history row and at least one output record', async () => {
    const input = await createTestStream({ shardCount: 2 });
    const output = await createTestStream({ shardCount: 2 });
    const total = 3_000;
    await put(input, Array.from({ length: total }, (_, i) => rideEvent(i + 1)));

    const first = start(input, output, { CONSUMER_BATCH_SIZE: '50' });
    await waitFor(() => countHistory(input), (c) => Number(c.rows) >= 400, { what: 'first consumer progress' });
    first.child.kill('SIGKILL');
    await first.exited;
    const atKill = Number((await countHistory(input)).rows);
    expect(atKill).toBeLessThan(total);

    start(input, output, { CONSUMER_BATCH_SIZE: '500' });
    const counts = await waitFor(() => countHistory(input), (c) => Number(c.rows) >= total, { timeoutMs: 60_000, what: 'all events in history' });
    expect(counts).toMatchObject({ rows: String(total), keys: String(total), scored: String(total) });

    const published = (await readAllRecords(kinesis, output)) as { prediction: { ride_id: number } }[];
    const ids = new Set(published.map((record) => record.prediction.ride_id));
    expect(ids.size).toBe(total);
    expect(published.length).toBeGreaterThanOrEqual(total);
  });

  it('two instances split the shards; when one is SIGKILLed the other takes over its shards', async () => {
    const input = await createTestStream({ shardCount: 4 });
    const output = await createTestStream({ shardCount: 1 });
    const a = start(input, output);
    const b = start(input, output);
    const split = await waitFor(
      async () => [(await a.metrics()).shards.length, (await b.metrics()).shards.length],
      ([x, y]) => x === 2 && y === 2,
      { what: 'a 2/2 split' },
    );
    expect(split).toEqual([2, 2]);
    const aShards = (await a.metrics()).shards;
    await put(input, Array.from({ length: 400 }, (_, i) => rideEvent(i + 1)));
    await waitFor(() => countHistory(input), (c) => Number(c.rows) === 400, { what: '400 rows' });

    a.child.kill('SIGKILL');
    await a.exited;
    await put(input, Array.from({ length: 400 }, (_, i) => rideEvent(1_000 + i)));
    const after = await waitFor(() => b.metrics(), (m) => m.shards.length === 4, { what: 'b owning all 4 shards' });
    expect(after.shards).toEqual(expect.arrayContaining(aShards));
    const counts = await waitFor(() => countHistory(input), (c) => Number(c.rows) === 800, { what: '800 rows' });
    expect(counts.keys).toBe('800');
  });

  it('SIGTERM: finishes the batch, checkpoints, releases its leases and exits 0', async () => {
    const input = await createTestStream({ shardCount: 2 });
    const output = await createTestStream({ shardCount: 1 });
    await put(input, Array.from({ length: 200 }, (_, i) => rideEvent(i + 1)));
    const consumer = start(input, output, { CONSUMER_BATCH_SIZE: '20' });
    await waitFor(() => countHistory(input), (c) => Number(c.rows) === 200, { what: '200 rows' });
    await waitFor(() => consumer.metrics(), (m) => m.shards.length === 2);
    consumer.child.kill('SIGTERM');
    expect(await consumer.exited).toBe(0);
    const { rows } = await db.pool.query<{ owner: string | null; sequence_number: string | null }>(
      `SELECT l.owner, c.sequence_number FROM shard_leases l JOIN stream_checkpoints c USING (stream_name, shard_id) WHERE stream_name = $1`,
      [input],
    );
    expect(rows).toHaveLength(2);
    expect(rows.every((row) => row.owner === null && row.sequence_number !== null)).toBe(true);
  });

  it('serves the registry production model and picks up a promotion without restart', async () => {
    const prisma = createDbClient(db.url, { max: 2 });
    const storeUri = await mkdtemp(path.join(tmpdir(), 'tripcast-store-'));
    for (const [version, intercept] of [['r1', 5], ['r2', 100]] as const) {
      const { onnx, card } = buildTestModelFiles(version, intercept);
      await registerModel({ db: prisma, storeUri, onnx, card: ZModelCard.parse(card), actor: 'test' });
    }
    await promoteModel(prisma, { name: TEST_MODEL_NAME, version: 'r1', actor: 'test' });
    const input = await createTestStream({ shardCount: 1 });
    const output = await createTestStream({ shardCount: 1 });
    const consumer = spawnConsumer({ DATABASE_URL: db.url, INPUT_STREAM_NAME: input, PREDICTIONS_STREAM_NAME: output, MODEL_POLL_INTERVAL_MS: '200' });
    children.push(consumer);
    const versions = async () => ((await readAllRecords(kinesis, output)) as { version: string; prediction: { ride_id: number; ride_duration: number } }[]);
    await put(input, [rideEvent(1, { trip_distance: 1 })]);
    await waitFor(versions, (records) => records.length === 1, { what: 'first prediction' });
    await promoteModel(prisma, { name: TEST_MODEL_NAME, version: 'r2', actor: 'test' });
    await waitFor(() => consumer.metrics(), () => true);
    // Keep sending until the new version shows up (the watcher polls every 200 ms).
    let rideId = 2;
    const records = await waitFor(
      async () => {
        await put(input, [rideEvent(rideId++, { trip_distance: 1 })]);
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
    await put(input, Array.from({ length: 100 }, (_, i) => rideEvent(i + 1)));
    const { Shards = [] } = await kinesis.send(new ListShardsCommand({ StreamName: input }));
    const parent = Shards[0]!;
    const middle = (BigInt(parent.HashKeyRange!.StartingHashKey!) + BigInt(parent.HashKeyRange!.EndingHashKey!)) / 2n;
    await kinesis.send(new SplitShardCommand({ StreamName: input, ShardToSplit: parent.ShardId, NewStartingHashKey: middle.toString() }));
    await waitFor(
      () => kinesis.send(new DescribeStreamSummaryCommand({ StreamName: input })),
      (s) => s.StreamDescriptionSummary?.StreamStatus === 'ACTIVE',
      { what: 'stream ACTIVE after split' },
    );
    await put(input, Array.from({ length: 100 }, (_, i) => rideEvent(1_000 + i)));

    start(input, output, { CONSUMER_BATCH_SIZE: '10' });
    await waitFor(() => countHistory(input), (c) => Number(c.rows) === 200, { what: '200 rows' });
    const { rows } = await db.pool.query<{ shard: string; first: string; last: string; n: string }>(
      `SELECT split_part(idempotency_key, '/', 2) AS shard, min(id) AS first, max(id) AS last, count(*) AS n
       FROM prediction_history WHERE idempotency_key LIKE $1 GROUP BY 1 ORDER BY 2`,
      [`${input}/%`],
    );
    expect(rows[0]).toMatchObject({ shard: parent.ShardId, n: '100' });
    expect(rows.slice(1).map((row) => row.shard).sort()).toEqual(['shardId-000000000001', 'shardId-000000000002']);
    // Every parent row was written before any child row.
    for (const child of rows.slice(1)) expect(BigInt(child.first)).toBeGreaterThan(BigInt(rows[0]!.last));
    const { rows: ended } = await db.pool.query<{ shard_id: string }>(
      'SELECT shard_id FROM stream_checkpoints WHERE stream_name = $1 AND is_shard_ended',
      [input],
    );
    expect(ended.map((row) => row.shard_id)).toEqual([parent.ShardId]);
  });

  it('follows a shard merge: both parents are read to their end before the merged child starts', async () => {
    const input = await createTestStream({ shardCount: 2 });
    const output = await createTestStream({ shardCount: 1 });
    await put(input, Array.from({ length: 60 }, (_, i) => rideEvent(i + 1)));
    const { Shards = [] } = await kinesis.send(new ListShardsCommand({ StreamName: input }));
    await kinesis.send(new MergeShardsCommand({ StreamName: input, ShardToMerge: Shards[0]!.ShardId, AdjacentShardToMerge: Shards[1]!.ShardId }));
    await waitFor(
      () => kinesis.send(new DescribeStreamSummaryCommand({ StreamName: input })),
      (summary) => summary.StreamDescriptionSummary?.StreamStatus === 'ACTIVE',
      { what: 'stream ACTIVE after merge' },
    );
    await put(input, Array.from({ length: 40 }, (_, i) => rideEvent(1_000 + i)));

    start(input, output, { CONSUMER_BATCH_SIZE: '10' });
    await waitFor(() => countHistory(input), (c) => Number(c.rows) === 100, { what: '100 rows' });
    const { rows } = await db.pool.query<{ shard: string; first: string; last: string; n: string }>(
      `SELECT split_part(idempotency_key, '/', 2) AS shard, min(id) AS first, max(id) AS last, count(*) AS n
       FROM prediction_history WHERE idempotency_key LIKE $1 GROUP BY 1`,
      [`${input}/%`],
    );
    const child = rows.find((row) => row.shard === 'shardId-000000000002')!;
    expect(child.n).toBe('40');
    for (const parent of rows.filter((row) => row !== child)) expect(BigInt(child.first)).toBeGreaterThan(BigInt(parent.last));
  });
});
