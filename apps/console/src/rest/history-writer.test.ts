/**
 * The history buffer's policy: batching, retry after a failure, the bound and its drop counting,
 * and the flush on close. The insert function here is a recording function, not the database:
 * an outage must start and end at exact points to test the policy, which a real Postgres cannot
 * be made to do deterministically. The real INSERT is tested over HTTP in rest-api.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { createHistoryWriter } from './history-writer';
import type { THistoryRow } from './history-writer';

function rows(n: number, prefix = 'r'): THistoryRow[] {
  return Array.from({ length: n }, (_, i) => ({
    source: 'online' as const,
    idempotencyKey: `${prefix}:${i}`,
    rideId: null,
    puLocationId: 1,
    doLocationId: 2,
    tripDistance: 3,
    predictedDuration: 4,
    modelName: 'm',
    modelVersion: 'v',
    latencyMs: 1,
    createdAt: new Date(),
  }));
}

function recorder() {
  const batches: string[][] = [];
  let isDown = false;
  return {
    batches,
    setDown: (down: boolean) => (isDown = down),
    insertBatch: (batch: readonly THistoryRow[]) => {
      if (isDown) return Promise.reject(new Error('connection refused'));
      batches.push(batch.map((r) => r.idempotencyKey));
      return Promise.resolve({ inserted: batch.length, refused: 0 });
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('createHistoryWriter', () => {
  it('does not write on enqueue; flushes on the interval in batches of at most maxBatchRows', async () => {
    const db = recorder();
    const writer = createHistoryWriter({ insertBatch: db.insertBatch, flushIntervalMs: 30, maxBatchRows: 4 });
    expect(writer.enqueue(rows(3))).toBe(3);
    expect(db.batches).toHaveLength(0); // the request path never waits on the database
    await sleep(80);
    expect(db.batches).toEqual([['r:0', 'r:1', 'r:2']]);
    writer.enqueue(rows(10, 's'));
    await writer.flush();
    expect(db.batches.slice(1).map((b) => b.length)).toEqual([4, 4, 2]);
    expect(writer.stats()).toMatchObject({ buffered: 0, written: 13, dropped: 0 });
    await writer.close();
  });

  it('flushes as soon as maxBatchRows are buffered, without waiting for the interval', async () => {
    const db = recorder();
    const writer = createHistoryWriter({ insertBatch: db.insertBatch, flushIntervalMs: 60_000, maxBatchRows: 5 });
    writer.enqueue(rows(5));
    await sleep(10);
    expect(db.batches).toHaveLength(1);
    await writer.close();
  });

  it('keeps rows through an outage and writes them, in order, when the database is back', async () => {
    const db = recorder();
    const logs: string[] = [];
    const writer = createHistoryWriter({ insertBatch: db.insertBatch, flushIntervalMs: 10, maxBatchRows: 100, log: (m) => logs.push(m) });
    db.setDown(true);
    writer.enqueue(rows(3, 'a'));
    await sleep(50);
    writer.enqueue(rows(2, 'b'));
    expect(writer.stats().failedFlushes).toBeGreaterThan(0);
    expect(writer.stats().buffered).toBe(5);
    expect(logs.some((m) => m.includes('connection refused'))).toBe(true);
    db.setDown(false);
    await writer.flush();
    expect(db.batches.flat()).toEqual(['a:0', 'a:1', 'a:2', 'b:0', 'b:1']);
    expect(writer.stats()).toMatchObject({ buffered: 0, written: 5, dropped: 0 });
    await writer.close();
  });

  it('is bounded: rows beyond maxBufferedRows are dropped and counted, never blocking the caller', async () => {
    const db = recorder();
    const logs: string[] = [];
    const writer = createHistoryWriter({ insertBatch: db.insertBatch, flushIntervalMs: 10, maxBatchRows: 1000, maxBufferedRows: 10, log: (m) => logs.push(m) });
    db.setDown(true);
    expect(writer.enqueue(rows(8, 'a'))).toBe(8);
    expect(writer.enqueue(rows(5, 'b'))).toBe(2);
    expect(writer.stats()).toMatchObject({ buffered: 10, dropped: 3 });
    expect(logs.some((m) => m.includes('dropped 3 rows'))).toBe(true);
    db.setDown(false);
    await writer.flush();
    expect(db.batches.flat()).toEqual([...rows(8, 'a'), ...rows(2, 'b')].map((r) => r.idempotencyKey));
    await writer.close();
  });

  it('close() flushes what is left; gives up after its timeout when the database stays down', async () => {
    const db = recorder();
    const writer = createHistoryWriter({ insertBatch: db.insertBatch, flushIntervalMs: 60_000 });
    writer.enqueue(rows(7));
    expect(await writer.close()).toBe(0);
    expect(db.batches.flat()).toHaveLength(7);
    expect(writer.enqueue(rows(1))).toBe(0); // closed: counted as dropped

    const down = recorder();
    down.setDown(true);
    const stuck = createHistoryWriter({ insertBatch: down.insertBatch, flushIntervalMs: 10, log: () => {} });
    stuck.enqueue(rows(4));
    const started = Date.now();
    expect(await stuck.close({ timeoutMs: 100 })).toBe(4);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('counts rows of the flush in flight as buffered until they are written', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const writer = createHistoryWriter({ insertBatch: async (batch) => (await gate, { inserted: batch.length, refused: 0 }), flushIntervalMs: 60_000 });
    writer.enqueue(rows(5));
    const flushed = writer.flush();
    await sleep(10);
    expect(writer.stats()).toMatchObject({ buffered: 5, written: 0 });
    release();
    await flushed;
    expect(writer.stats()).toMatchObject({ buffered: 0, written: 5 });
    await writer.close();
  });

  it('counts rows the database already had as duplicates, and refused rows as refused, not as written', async () => {
    const writer = createHistoryWriter({ insertBatch: (batch) => Promise.resolve({ inserted: batch.length - 2, refused: 1 }), flushIntervalMs: 10 });
    writer.enqueue(rows(3));
    await writer.flush();
    expect(writer.stats()).toMatchObject({ written: 1, duplicates: 1, refused: 1 });
    await writer.close();
  });
});
