import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestConsole, type TTestConsole } from '../../testing/context';
import { seedBatchRun } from '../../testing/seed';

describe('runs router', () => {
  let t: TTestConsole;
  let store: string;
  beforeAll(async () => {
    // The launcher reads the scorer's env (OBJECT_STORE_URI), once, on its first call: a store of
    // our own holding one month, so the months list and the refusal of an absent month are known.
    store = await mkdtemp(path.join(os.tmpdir(), 'tripcast-runs-router-'));
    await mkdir(path.join(store, 'trip-data'));
    await writeFile(path.join(store, 'trip-data', 'green_tripdata_2021-03.csv.gz'), '');
    process.env.OBJECT_STORE_URI = store;
    t = await createTestConsole();
    await seedBatchRun(
      t.db,
      {
        id: 'run-old',
        year: 2021,
        month: 1,
        status: 'succeeded',
        createdAt: new Date('2026-01-01T00:00:00Z'),
      },
      [
        { pu: 74, do: 75, actual: 6, predicted: 7.5 },
        { pu: 43, do: 151, actual: 12, predicted: 10 },
        { pu: 74, do: 42, actual: null, predicted: 9 },
        { pu: 1, do: 2, actual: 30, predicted: 28 },
      ],
    );
    await seedBatchRun(t.db, {
      id: 'run-new',
      year: 2021,
      month: 2,
      status: 'running',
      createdAt: new Date('2026-02-01T00:00:00Z'),
    });
  });
  afterAll(async () => {
    await t.close();
    await rm(store, { recursive: true, force: true });
  });

  it('lists runs newest first with their live status and progress', async () => {
    const { items, nextCursor } = await t.caller.runs.list({ limit: 10 });
    expect(items.map((r) => [r.id, r.status])).toEqual([
      ['run-new', 'running'],
      ['run-old', 'succeeded'],
    ]);
    expect(items[0]!.progress).toBeCloseTo(0.4);
    expect(nextCursor).toBeNull();
  });

  it('pages with a cursor', async () => {
    const first = await t.caller.runs.list({ limit: 1 });
    expect(first.items.map((r) => r.id)).toEqual(['run-new']);
    const second = await t.caller.runs.list({ limit: 1, cursor: first.nextCursor });
    expect(second.items.map((r) => r.id)).toEqual(['run-old']);
  });

  it('returns a run with its parsed summary and a predicted-vs-actual sample of rows with a known duration', async () => {
    const { run, scatter } = await t.caller.runs.get({ id: 'run-old' });
    expect(run.summary?.errorCourseRange?.rmse).toBe(6.9);
    expect(run.summary?.rejectsByReason).toEqual({ invalid_duration: 1 });
    expect(run.outputUri).toContain('taxi_type=green/year=2021/month=01/run-old.parquet');
    expect(scatter).toEqual([
      { actual: 6, predicted: 7.5 },
      { actual: 12, predicted: 10 },
      { actual: 30, predicted: 28 },
    ]);
  });

  it('answers NOT_FOUND for an unknown run', async () => {
    await expect(t.caller.runs.get({ id: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('pages a run’s predictions and filters them by pickup or dropoff zone', async () => {
    const page1 = await t.caller.runs.predictions({ runId: 'run-old', limit: 3 });
    expect(page1.items.map((r) => r.rowIndex)).toEqual([0, 1, 2]);
    expect(page1.nextCursor).toBe(2);
    const page2 = await t.caller.runs.predictions({ runId: 'run-old', after: page1.nextCursor, limit: 3 });
    expect(page2.items.map((r) => r.rideId)).toEqual(['2021/01_3']);
    expect(page2.nextCursor).toBeNull();
    const zone74 = await t.caller.runs.predictions({ runId: 'run-old', zoneId: 74, limit: 10 });
    expect(zone74.items.map((r) => r.rowIndex)).toEqual([0, 2]);
    const zone151 = await t.caller.runs.predictions({ runId: 'run-old', zoneId: 151, limit: 10 });
    expect(zone151.items.map((r) => r.predictedDuration)).toEqual([10]);
  });

  it('refuses a backfill whose end is before its start, naming the problem', async () => {
    const call = t.caller.runs.backfill({
      taxiType: 'green',
      from: { year: 2021, month: 3 },
      to: { year: 2021, month: 1 },
    });
    await expect(call).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(call).rejects.toThrow(/to must be/);
  });

  it('validates the month of a triggered run', async () => {
    await expect(
      t.caller.runs.trigger({ taxiType: 'green', year: 2021, month: 13 }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('lists the months the store holds, and refuses a month it lacks before creating a run', async () => {
    const { months, tripData } = await t.caller.runs.months();
    expect(months).toEqual([{ taxiType: 'green', year: 2021, month: 3 }]);
    expect(tripData).toMatch(/trip-data$/);
    const call = t.caller.runs.trigger({ taxiType: 'green', year: 2021, month: 5 });
    await expect(call).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(call).rejects.toThrow(/no trip data for green 2021-05 in the store/);
    const backfill = t.caller.runs.backfill({ taxiType: 'green', from: { year: 2021, month: 2 }, to: { year: 2021, month: 4 } });
    await expect(backfill).rejects.toThrow(/no green trip data in the store for 2021-02, 2021-04/);
    const runs = await t.db.batchRun.count({ where: { year: 2021, month: { in: [2, 4, 5] } } });
    expect(runs).toBe(1); // run-new (2021-02) only: nothing was created
  });

  it('retries only a failed run, and names the run it cannot find', async () => {
    await expect(t.caller.runs.retry({ id: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const call = t.caller.runs.retry({ id: 'run-old' });
    await expect(call).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(call).rejects.toThrow(/run-old is succeeded: only a failed run can be retried/);
  });
});
