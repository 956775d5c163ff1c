import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestConsole, type TTestConsole } from '../../testing/context';
import { seedBatchRun, seedHistory } from '../../testing/seed';
import { parseHistorySearchParams, streamHistoryCsv } from '../../history-csv';
import { findSharedData } from '../../testing/context';
import { readZoneTable } from '../../zones';

describe('history router', () => {
  let t: TTestConsole;
  beforeAll(async () => {
    t = await createTestConsole();
    await seedBatchRun(
      t.db,
      {
        id: 'run-a',
        year: 2021,
        month: 1,
        status: 'succeeded',
        modelVersion: 'v1',
        finishedAt: new Date('2026-03-01T10:00:00Z'),
      },
      [
        { pu: 74, do: 75, actual: 6, predicted: 7.5, distance: 1.25 },
        { pu: 43, do: 151, actual: 12, predicted: 10 },
      ],
    );
    // A failed run's rows (if any) are not history: only succeeded runs count.
    await seedBatchRun(t.db, { id: 'run-failed', year: 2021, month: 2, status: 'failed' }, [
      { pu: 1, do: 1, actual: 1, predicted: 1 },
    ]);
    await seedHistory(t.db, [
      {
        source: 'online',
        pu: 74,
        do: 42,
        predicted: 9.1,
        version: 'v2',
        createdAt: new Date('2026-03-02T10:00:00Z'),
      },
      {
        source: 'stream',
        pu: 130,
        do: 205,
        predicted: 21.3,
        version: 'v1',
        createdAt: new Date('2026-03-01T12:00:00Z'),
      },
      {
        source: 'stream',
        pu: 10,
        do: 50,
        predicted: 26.4,
        version: 'v2',
        createdAt: new Date('2026-02-28T12:00:00Z'),
      },
    ]);
  });
  afterAll(() => t.close());

  it('merges the three sources newest first', async () => {
    const { items, hasMore } = await t.caller.history.list({ page: 1, pageSize: 50 });
    expect(
      items.map((r) => [r.source, Math.round((r.predictedDuration ?? NaN) * 10) / 10]),
    ).toEqual([
      ['online', 9.1],
      ['stream', 21.3],
      ['batch', 7.5],
      ['batch', 10],
      ['stream', 26.4],
    ]);
    expect(items[2]).toMatchObject({
      runId: 'run-a',
      modelVersion: 'v1',
      actualDuration: 6,
      rideId: '2021/01_0',
    });
    // Only the documented columns leave the server (no sort keys, no internal ids).
    for (const item of items) {
      expect(Object.keys(item).sort()).toEqual([
        'actualDuration',
        'doLocationId',
        'latencyMs',
        'modelVersion',
        'predictedAt',
        'predictedDuration',
        'puLocationId',
        'reason',
        'rideId',
        'role',
        'runId',
        'source',
        'status',
        'tripDistance',
      ]);
    }
    expect(hasMore).toBe(false);
  });

  it('filters by source, model version, zone and time, and paginates on the server', async () => {
    const list = (
      filter: Parameters<typeof t.caller.history.list>[0]['filter'],
      page = 1,
      pageSize = 50,
    ) =>
      t.caller.history
        .list({ filter, page, pageSize })
        .then((r) => r.items.map((i) => `${i.source}:${i.puLocationId}`));
    expect(await list({ sources: ['batch'] })).toEqual(['batch:74', 'batch:43']);
    expect(await list({ sources: ['online', 'stream'], modelVersion: 'v2' })).toEqual([
      'online:74',
      'stream:10',
    ]);
    expect(await list({ sources: ['online', 'stream', 'batch'], zoneId: 74 })).toEqual([
      'online:74',
      'batch:74',
    ]);
    expect(await list({ sources: ['online', 'stream', 'batch'], zoneId: 151 })).toEqual([
      'batch:43',
    ]);
    expect(
      await list({
        sources: ['online', 'stream', 'batch'],
        from: new Date('2026-03-01T00:00:00Z'),
        to: new Date('2026-03-02T00:00:00Z'),
      }),
    ).toEqual(['stream:130', 'batch:74', 'batch:43']);
    const page2 = await t.caller.history.list({ page: 2, pageSize: 2 });
    expect(page2.items.map((i) => i.source)).toEqual(['batch', 'batch']);
    expect(page2.hasMore).toBe(true);
  });

  it('lists the model versions seen, for the filter', async () => {
    const versions = await t.caller.history.modelVersions();
    expect(versions).toContain('v1');
  });

  it('exports the filtered history as CSV', async () => {
    const filter = parseHistorySearchParams(
      new URLSearchParams({ sources: 'stream,batch', modelVersion: 'v1' }),
    );
    const csv = await new Response(streamHistoryCsv(t.db, filter)).text();
    const lines = csv.trim().split('\n');
    expect(lines[0]).toBe(
      'predictedAt,source,status,rideId,puLocationId,puBorough,puZone,doLocationId,doBorough,doZone,tripDistance,predictedDuration,actualDuration,modelVersion,role,latencyMs,reason,runId',
    );
    expect(lines).toHaveLength(4);
    // No zone table: the name columns are empty, the IDs are there.
    expect(lines[1]).toBe(
      '2026-03-01T12:00:00.000Z,stream,scored,ride-1,130,,,205,,,2.5,21.3,,v1,production,1.2,,',
    );
    expect(lines[2]).toContain(',batch,scored,2021/01_0,74,,,75,,,');
    // Batch rows carry the input's distance (batch_predictions.trip_distance).
    expect(lines[2]).toContain(',1.25,7.5,6,v1,production,,,run-a');
  });

  it.skipIf(!fs.existsSync(findSharedData('taxi_zone_lookup.csv') ?? ''))(
    'names the zones in the CSV (TLC zone table), quoting names with commas',
    async () => {
      const table = await readZoneTable(findSharedData('taxi_zone_lookup.csv'));
      const filter = parseHistorySearchParams(new URLSearchParams({ sources: 'stream' }));
      const csv = await new Response(streamHistoryCsv(t.db, filter, table?.zones ?? null)).text();
      const lines = csv.trim().split('\n');
      expect(lines[1]).toContain(',130,Queens,Jamaica,205,Queens,Saint Albans,');
      expect(lines[2]).toContain(',10,Queens,Baisley Park,50,Manhattan,Clinton West,');
    },
  );

  it('rejects a bad export filter with the field named', () => {
    expect(() => parseHistorySearchParams(new URLSearchParams({ sources: 'fax' }))).toThrow(
      /sources/,
    );
    expect(() => parseHistorySearchParams(new URLSearchParams({ from: 'yesterday' }))).toThrow(
      /from/,
    );
  });
});
