// The queries behind the read API (/api/v1/runs, /api/v1/predictions?ride_id=): month filters and
// the lookup of one ride id across batch runs and the online/stream history. Real Postgres.
import { describe, expect, it } from 'vitest';
import { replaceRunPredictions } from '../batch-predictions';
import { createTestRun, useMigratedTestDatabase } from '../testing';
import { findHistoryByRideId, insertHistoryBatch } from './history';
import { findBatchPredictionsByRideId } from './predictions';
import { completeRun, failRun, listBatchRuns } from './runs';

const suite = useMigratedTestDatabase();

async function scoredRun(options: {
  month: number;
  status: 'succeeded' | 'failed' | 'running';
  version: string;
  rows: number;
}) {
  const run = await createTestRun(suite.pool, {
    taxiType: 'green',
    year: 2021,
    month: options.month,
    inputUri: 'x',
    trigger: 'cli',
    modelVersion: options.version,
  });
  const n = options.rows;
  const prefix = `2021/${String(options.month).padStart(2, '0')}_`;
  await replaceRunPredictions({
    pool: suite.pool,
    runKey: run.key,
    rows: [
      {
        rowIndex: Int32Array.from({ length: n }, (_, i) => i),
        rideId: Array.from({ length: n }, (_, i) => `${prefix}${i}`),
        pickupMs: Float64Array.from(
          { length: n },
          (_, i) => Date.UTC(2021, options.month - 1, 1) + i * 1000,
        ),
        pu: new Int16Array(n).fill(130),
        do: new Int16Array(n).fill(205),
        actual: new Float32Array(n).fill(15),
        predicted: new Float32Array(n).fill(options.month),
      },
    ],
  });
  if (options.status === 'succeeded') await completeRun(suite.pool, run.id, { progress: 1, rowsRead: 0, rowsScored: 0, rowsRejected: 0, summary: null });
  if (options.status === 'failed') await failRun(suite.pool, run.id, 'failed in a test');
  return run;
}

describe('read API queries', () => {
  it('lists runs of one month and status', async () => {
    const jan = await scoredRun({ month: 1, status: 'succeeded', version: 'v1', rows: 3 });
    const janFailed = await scoredRun({ month: 1, status: 'failed', version: 'v1', rows: 3 });
    await scoredRun({ month: 2, status: 'succeeded', version: 'v1', rows: 3 });
    const ids = async (options: Parameters<typeof listBatchRuns>[1]) =>
      (await listBatchRuns(suite.db, options)).items.map((run) => run.id);
    expect(await ids({ limit: 10, year: 2021, month: 1 })).toEqual([janFailed.id, jan.id]);
    expect(await ids({ limit: 10, year: 2021, month: 1, status: 'succeeded' })).toEqual([jan.id]);
    expect(await ids({ limit: 10, year: 2020, month: 1 })).toEqual([]);
  });

  it('finds a batch ride id in the succeeded runs of its month only, newest first', async () => {
    const older = await scoredRun({ month: 3, status: 'succeeded', version: 'v1', rows: 5 });
    const newer = await scoredRun({ month: 3, status: 'succeeded', version: 'v2', rows: 5 });
    await scoredRun({ month: 3, status: 'failed', version: 'v3', rows: 5 });
    await scoredRun({ month: 3, status: 'running', version: 'v4', rows: 5 });
    const found = await findBatchPredictionsByRideId(suite.db, { rideId: '2021/03_4', limit: 10 });
    expect(
      found.map((row) => [row.run.id, row.run.modelVersion, row.rowIndex, row.rideId]),
    ).toEqual([
      [newer.id, 'v2', 4, '2021/03_4'],
      [older.id, 'v1', 4, '2021/03_4'],
    ]);
    expect(found[0]).toMatchObject({
      predictedDuration: 3,
      actualDuration: 15,
      puLocationId: 130,
      run: { taxiType: 'green', year: 2021, month: 3 },
    });
    expect(await findBatchPredictionsByRideId(suite.db, { rideId: '2021/03_99', limit: 10 })).toEqual([]);
    expect(await findBatchPredictionsByRideId(suite.db, { rideId: '2021/13_1', limit: 10 })).toEqual([]);
    expect(await findBatchPredictionsByRideId(suite.db, { rideId: 'order-256', limit: 10 })).toEqual([]);
  });

  it('finds the online and stream predictions of a ride id, newest first', async () => {
    await insertHistoryBatch(suite.pool, [
      {
        source: 'online',
        idempotencyKey: 'a:0',
        rideId: '256',
        predictedDuration: 12,
        modelVersion: 'v1',
        createdAt: new Date('2026-01-01T10:00:00Z'),
      },
      {
        source: 'stream',
        idempotencyKey: 's/1',
        rideId: '256',
        predictedDuration: 13,
        modelVersion: 'v2',
        createdAt: new Date('2026-01-01T11:00:00Z'),
      },
      {
        source: 'online',
        idempotencyKey: 'b:0',
        rideId: '257',
        predictedDuration: 14,
        modelVersion: 'v1',
      },
    ]);
    const all = await findHistoryByRideId(suite.db, { rideId: '256', limit: 10 });
    expect(all.map((row) => [row.source, row.predictedDuration, row.modelVersion])).toEqual([
      ['stream', 13, 'v2'],
      ['online', 12, 'v1'],
    ]);
    expect(
      (await findHistoryByRideId(suite.db, { rideId: '256', limit: 10, source: 'online' })).length,
    ).toBe(1);
    // The lookup uses the ride_id index (seq scans off: on a table this small Postgres would
    // rightly scan it, which would hide a missing index).
    const client = await suite.pool.connect();
    try {
      await client.query('SET enable_seqscan = off');
      const plan = await client.query<{ 'QUERY PLAN': string }>(
        "EXPLAIN SELECT id FROM prediction_history WHERE ride_id = '256'",
      );
      await client.query('RESET enable_seqscan');
      expect(plan.rows.map((row) => row['QUERY PLAN']).join('\n')).toMatch(
        /prediction_history_ride_id_idx/,
      );
    } finally {
      client.release();
    }
  });
});
