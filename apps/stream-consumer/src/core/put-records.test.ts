import { createKinesisClient, createTestStream } from '@tripcast/local-stack/testing';
import { afterAll, describe, expect, it } from 'vitest';

import { readAllRecords } from '../testing/fixtures';
import { throttleSomeEntries } from '../testing/throttle';
import { chunkEntries, computeBackoffMs, createKinesisPublisher, DEFAULT_RETRY_POLICY } from './put-records';
import type { TPutEntry } from './types';

const entry = (i: number, size = 10): TPutEntry => ({ data: Buffer.from(JSON.stringify({ i, pad: 'x'.repeat(size) })), partitionKey: String(i) });

describe('computeBackoffMs / chunkEntries', () => {
  it('grows the ceiling exponentially up to the cap, with jitter below it', () => {
    expect(computeBackoffMs(1, DEFAULT_RETRY_POLICY, () => 0.999)).toBe(99);
    expect(computeBackoffMs(4, DEFAULT_RETRY_POLICY, () => 0.999)).toBe(799);
    expect(computeBackoffMs(20, DEFAULT_RETRY_POLICY, () => 0.999)).toBe(4_995);
    expect(computeBackoffMs(3, DEFAULT_RETRY_POLICY, () => 0)).toBe(0);
  });

  it('splits by 500 entries and by 5 MiB per request', () => {
    const many = Array.from({ length: 1_201 }, (_, i) => entry(i));
    expect(chunkEntries(many, many.map((_, i) => i)).map((chunk) => chunk.length)).toEqual([500, 500, 201]);
    const big = Array.from({ length: 12 }, (_, i) => entry(i, 900_000));
    expect(chunkEntries(big, big.map((_, i) => i)).map((chunk) => chunk.length)).toEqual([5, 5, 2]);
  });
});

describe('createKinesisPublisher against kinesalite', () => {
  const clients: ReturnType<typeof createKinesisClient>[] = [];
  afterAll(() => clients.forEach((client) => client.destroy()));

  it('puts 1,200 entries in 500-entry requests', async () => {
    const stream = await createTestStream({ shardCount: 2 });
    const client = createKinesisClient();
    clients.push(client);
    const publisher = createKinesisPublisher({ client, streamName: stream });
    const entries = Array.from({ length: 1_200 }, (_, i) => entry(i));
    expect(await publisher.publish(entries)).toEqual({ failedIndexes: [] });
    expect(publisher.stats.requests).toBe(3);
    expect((await readAllRecords(client, stream)).length).toBe(1_200);
  });

  it('re-sends ONLY throttled entries, with backoff, and loses nothing', async () => {
    const stream = await createTestStream({ shardCount: 1 });
    const client = createKinesisClient();
    clients.push(client);
    // Every third entry is throttled on the first two calls: retried twice, then accepted.
    const { sent } = throttleSomeEntries(client, (text, call) => call <= 2 && (JSON.parse(text) as { i: number }).i % 3 === 0);
    const sleeps: number[] = [];
    const publisher = createKinesisPublisher({
      client,
      streamName: stream,
      sleepMs: (ms) => {
        sleeps.push(ms);
        return Promise.resolve();
      },
      retry: { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1_000 },
    });
    const entries = Array.from({ length: 300 }, (_, i) => entry(i));
    expect(await publisher.publish(entries)).toEqual({ failedIndexes: [] });

    expect(sent.map((call) => call.length)).toEqual([300, 100, 100]);
    // The retries carried exactly the throttled entries.
    expect(sent[1]!.map((text) => (JSON.parse(text) as { i: number }).i)).toEqual(Array.from({ length: 100 }, (_, k) => k * 3));
    expect(sleeps).toHaveLength(2);
    expect(publisher.stats.throttledEntries).toBe(200);
    const onStream = (await readAllRecords(client, stream)) as { i: number }[];
    expect(onStream.map((record) => record.i).sort((a, b) => a - b)).toEqual(Array.from({ length: 300 }, (_, i) => i));
  });

  it('reports the entries still throttled after maxAttempts (never silently dropped)', async () => {
    const stream = await createTestStream({ shardCount: 1 });
    const client = createKinesisClient();
    clients.push(client);
    throttleSomeEntries(client, (text) => (JSON.parse(text) as { i: number }).i === 7);
    const publisher = createKinesisPublisher({ client, streamName: stream, sleepMs: () => Promise.resolve(), retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1 } });
    expect(await publisher.publish(Array.from({ length: 10 }, (_, i) => entry(i)))).toEqual({ failedIndexes: [7] });
    expect(publisher.stats.requests).toBe(3);
  });
});
