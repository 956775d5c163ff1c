import { createTestStream } from '@tripcast/local-stack/testing';
import { describe, expect, it } from 'vitest';

import { readAllRecords, rideEvent, waitFor } from '../testing/fixtures';
import { useConsumerSuite } from '../testing/consumer-suite';

describe('standalone consumer: crashes, failover and shutdown (child processes, kinesalite + Postgres)', () => {
  const suite = useConsumerSuite();

  it('SIGKILL mid-stream, restart: every event has exactly one history row and at least one output record', async () => {
    const input = await createTestStream({ shardCount: 2 });
    const output = await createTestStream({ shardCount: 2 });
    const total = 2_000;
    await suite.put(input, Array.from({ length: total }, (_, i) => rideEvent(i + 1)));

    const first = suite.start(input, output, { CONSUMER_BATCH_SIZE: '50' });
    await waitFor(() => suite.countHistory(input), (c) => Number(c.rows) >= 300, { what: 'first consumer progress' });
    first.child.kill('SIGKILL');
    await first.exited;
    const atKill = Number((await suite.countHistory(input)).rows);
    expect(atKill).toBeLessThan(total);

    suite.start(input, output, { CONSUMER_BATCH_SIZE: '500' });
    const counts = await waitFor(() => suite.countHistory(input), (c) => Number(c.rows) >= total, { timeoutMs: 60_000, what: 'all events in history' });
    expect(counts).toMatchObject({ rows: String(total), keys: String(total), scored: String(total) });

    const published = (await readAllRecords(suite.kinesis, output)) as { prediction: { ride_id: number } }[];
    const ids = new Set(published.map((record) => record.prediction.ride_id));
    expect(ids.size).toBe(total);
    expect(published.length).toBeGreaterThanOrEqual(total);
  });

  it('two instances split the shards; when one is SIGKILLed the other takes over its shards', async () => {
    const input = await createTestStream({ shardCount: 4 });
    const output = await createTestStream({ shardCount: 1 });
    const a = suite.start(input, output);
    const b = suite.start(input, output);
    const split = await waitFor(
      async () => [(await a.metrics()).shards.length, (await b.metrics()).shards.length],
      ([x, y]) => x === 2 && y === 2,
      { what: 'a 2/2 split' },
    );
    expect(split).toEqual([2, 2]);
    const aShards = (await a.metrics()).shards;
    await suite.put(input, Array.from({ length: 400 }, (_, i) => rideEvent(i + 1)));
    await waitFor(() => suite.countHistory(input), (c) => Number(c.rows) === 400, { what: '400 rows' });

    a.child.kill('SIGKILL');
    await a.exited;
    await suite.put(input, Array.from({ length: 400 }, (_, i) => rideEvent(1_000 + i)));
    const after = await waitFor(() => b.metrics(), (m) => m.shards.length === 4, { what: 'b owning all 4 shards' });
    expect(after.shards).toEqual(expect.arrayContaining(aShards));
    const counts = await waitFor(() => suite.countHistory(input), (c) => Number(c.rows) === 800, { what: '800 rows' });
    expect(counts.keys).toBe('800');
  });

  it('SIGTERM: finishes the batch, checkpoints, releases its leases and exits 0', async () => {
    const input = await createTestStream({ shardCount: 2 });
    const output = await createTestStream({ shardCount: 1 });
    await suite.put(input, Array.from({ length: 200 }, (_, i) => rideEvent(i + 1)));
    const consumer = suite.start(input, output, { CONSUMER_BATCH_SIZE: '20' });
    await waitFor(() => suite.countHistory(input), (c) => Number(c.rows) === 200, { what: '200 rows' });
    await waitFor(() => consumer.metrics(), (m) => m.shards.length === 2);
    consumer.child.kill('SIGTERM');
    expect(await consumer.exited).toBe(0);
    const { rows } = await suite.db.pool.query<{ owner: string | null; sequence_number: string | null }>(
      `SELECT l.owner, c.sequence_number FROM shard_leases l JOIN stream_checkpoints c USING (stream_name, shard_id) WHERE stream_name = $1`,
      [input],
    );
    expect(rows).toHaveLength(2);
    expect(rows.every((row) => row.owner === null && row.sequence_number !== null)).toBe(true);
  });
});
