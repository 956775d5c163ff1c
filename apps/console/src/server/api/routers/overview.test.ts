import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestConsole, type TTestConsole } from '../../testing/context';
import { seedBatchRun, seedHistory } from '../../testing/seed';

describe('overview router', () => {
  let t: TTestConsole;
  beforeAll(async () => {
    t = await createTestConsole();
  });
  afterAll(() => t.close());

  it('reports an empty platform without failing (fresh install)', async () => {
    const o = await t.caller.overview.get();
    expect(o.runs).toEqual([]);
    expect(o.production).toBeNull();
    expect(o.activity.online).toMatchObject({
      count: 0,
      perMinute: 0,
      p50LatencyMs: null,
      lastAt: null,
    });
    expect(o.series).toHaveLength(60);
  });

  it('summarizes recent online and stream activity, the runs and the production model', async () => {
    const now = Date.now();
    await seedHistory(t.db, [
      ...[1, 2, 3, 4].map((ms) => ({
        source: 'online' as const,
        pu: 1,
        do: 2,
        predicted: 5,
        version: 'v1',
        latencyMs: ms,
        createdAt: new Date(now - 60_000),
      })),
      {
        source: 'stream',
        pu: 1,
        do: 2,
        predicted: 5,
        version: 'v1',
        createdAt: new Date(now - 120_000),
      },
      {
        source: 'stream',
        pu: 1,
        do: 2,
        predicted: 5,
        version: 'v1',
        status: 'rejected',
        createdAt: new Date(now - 120_000),
      },
      // Outside the 15-minute window (not in the rate) but inside the hour the chart shows.
      {
        source: 'online',
        pu: 1,
        do: 2,
        predicted: 5,
        version: 'v1',
        createdAt: new Date(now - 30 * 60_000),
      },
      // Older than the chart's hour.
      {
        source: 'online',
        pu: 1,
        do: 2,
        predicted: 5,
        version: 'v1',
        createdAt: new Date(now - 2 * 3_600_000),
      },
    ]);
    await seedBatchRun(t.db, { id: 'r1', year: 2021, month: 1, status: 'running' });
    await t.db.modelVersion.create({
      data: {
        name: 'ride_duration_prediction_model',
        version: 'v7',
        artifactUri: '/store/models/x/v7',
        sha256: 'a'.repeat(64),
        card: { metrics: { validation: { rmse: 7.76, mae: 5.5, rows: 10 } } },
        stage: 'production',
        productionOf: 'ride_duration_prediction_model',
        promotedAt: new Date(),
      },
    });
    const o = await t.caller.overview.get();
    expect(o.activity.online.count).toBe(4);
    expect(o.activity.online.perMinute).toBeCloseTo(4 / 15);
    expect(o.activity.online.p50LatencyMs).toBeCloseTo(2.5);
    expect(o.activity.stream).toMatchObject({ count: 2, rejected: 1 });
    expect(o.series.reduce((s, p) => s + p.online, 0)).toBe(5);
    expect(o.runs.map((r) => r.status)).toEqual(['running']);
    expect(o.production?.version).toBe('v7');
  });

  it('counts the shards consumers hold leases on (not checkpoints), so a fresh consumer shows its shards', async () => {
    const expiresAt = new Date(Date.now() + 30_000);
    await t.db.shardLease.createMany({
      data: [
        { streamName: 'ride_events', shardId: 'shardId-000000000000', owner: 'consumer-a', expiresAt },
        { streamName: 'ride_events', shardId: 'shardId-000000000001', owner: 'consumer-b', expiresAt },
        // Expired: its owner is gone.
        { streamName: 'ride_events', shardId: 'shardId-000000000002', owner: 'consumer-c', expiresAt: new Date(Date.now() - 1_000) },
      ],
    });
    const o = await t.caller.overview.get();
    expect(o.checkpoints).toEqual([]);
    expect(o.leases).toEqual({ held: 2, total: 3 });
  });
});
