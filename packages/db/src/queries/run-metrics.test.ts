import { describe, expect, it } from 'vitest';
import { replaceRunChallengerPredictions } from '../batch-predictions';
import { useMigratedTestDatabase } from '../testing';
import {
  listMonthlyModelMetrics,
  listRunModelMetrics,
  replaceRunModelMetrics,
  type TNewRunModelMetrics,
} from './run-metrics';

const suite = useMigratedTestDatabase();

async function createRun(
  id: string,
  month: number,
  status: 'succeeded' | 'failed' = 'succeeded',
  finishedAt = new Date(),
): Promise<number> {
  const { rows } = await suite.pool.query<{ key: number }>(
    `INSERT INTO batch_runs (id, taxi_type, year, month, input_uri, trigger, status, finished_at)
     VALUES ($1, 'green', 2021, $2, 'in.parquet', 'cli', $3::"RunStatus", $4) RETURNING key`,
    [id, month, status, finishedAt],
  );
  return rows[0]!.key;
}

const metrics = (
  version: string,
  rmse: number,
  role: 'production' | 'challenger' = 'production',
): TNewRunModelMetrics => ({
  modelName: 'duration',
  modelVersion: version,
  role,
  error: null,
  rowsScored: 100,
  rowsWithActual: 100,
  rmse,
  mae: rmse / 2,
  bias: 0.5,
  shareOff10Min: 0.1,
  agreement: role === 'challenger' ? { meanAbsDifference: 1.25 } : null,
  outputUri: role === 'challenger' ? `out.challenger-${version}.parquet` : null,
});

describe('batch_run_model_metrics', () => {
  it("replaces a run's rows on a rerun and lists production first", async () => {
    const key = await createRun('metrics-rerun', 1);
    await replaceRunModelMetrics(suite.pool, key, [
      metrics('v1', 9),
      metrics('v0', 8, 'challenger'),
    ]);
    await replaceRunModelMetrics(suite.pool, key, [
      metrics('v2', 7, 'challenger'),
      metrics('v1', 6),
      {
        ...metrics('v3', 0, 'challenger'),
        error: 'failed to load: bad sha256',
        rmse: null,
        mae: null,
        bias: null,
        shareOff10Min: null,
        agreement: null,
      },
    ]);
    const rows = await listRunModelMetrics(suite.db, key);
    expect(rows.map((r) => [r.modelVersion, r.role, r.rmse, r.error])).toEqual([
      ['v1', 'production', 6, null],
      ['v2', 'challenger', 7, null],
      ['v3', 'challenger', null, 'failed to load: bad sha256'],
    ]);
    expect(rows[1]!.agreement).toEqual({ meanAbsDifference: 1.25 });
  });

  it('gives month by month the latest succeeded run of each version, without failed challengers', async () => {
    const early = await createRun(
      'monthly-early',
      3,
      'succeeded',
      new Date('2026-01-01T00:00:00Z'),
    );
    const late = await createRun('monthly-late', 3, 'succeeded', new Date('2026-02-01T00:00:00Z'));
    const failed = await createRun('monthly-failed', 3, 'failed', new Date('2026-03-01T00:00:00Z'));
    const april = await createRun('monthly-april', 4);
    await replaceRunModelMetrics(suite.pool, early, [metrics('m1', 5)]);
    await replaceRunModelMetrics(suite.pool, late, [
      metrics('m1', 4),
      metrics('m2', 3, 'challenger'),
    ]);
    await replaceRunModelMetrics(suite.pool, failed, [metrics('m1', 99)]);
    await replaceRunModelMetrics(suite.pool, april, [
      metrics('m1', 4.5),
      { ...metrics('m2', 0, 'challenger'), error: 'scoring failed', rmse: null },
    ]);
    const rows = await listMonthlyModelMetrics(suite.db, {
      modelName: 'duration',
      versions: ['m1', 'm2'],
    });
    expect(rows.map((r) => [r.month, r.modelVersion, r.rmse, r.runId])).toEqual([
      [3, 'm1', 4, 'monthly-late'],
      [3, 'm2', 3, 'monthly-late'],
      [4, 'm1', 4.5, 'monthly-april'],
    ]);
  });

  it('goes with its run', async () => {
    const key = await createRun('metrics-cascade', 5);
    await replaceRunModelMetrics(suite.pool, key, [metrics('c1', 1)]);
    await suite.pool.query('DELETE FROM batch_runs WHERE key = $1', [key]);
    expect(await listRunModelMetrics(suite.db, key)).toEqual([]);
  });
});

describe('batch_challenger_predictions', () => {
  const chunk = (modelVersion: string, n: number, base: number) => ({
    modelVersion,
    rowIndex: Int32Array.from({ length: n }, (_, i) => i * 2),
    predicted: Float32Array.from({ length: n }, (_, i) => base + i),
  });
  const count = async (key: number) =>
    (
      await suite.pool.query<{ version: string; n: number }>(
        'SELECT model_version AS version, count(*)::int AS n FROM batch_challenger_predictions WHERE run_key = $1 GROUP BY 1 ORDER BY 1',
        [key],
      )
    ).rows;

  it('loads every challenger of a run, replaces them on a rerun and drops them when a rerun has none', async () => {
    const key = await createRun('challenger-rows', 6);
    const loaded = await replaceRunChallengerPredictions({
      pool: suite.pool,
      runKey: key,
      rows: [chunk('a', 5, 10), chunk('b', 3, 20)],
    });
    expect(loaded.rowCount).toBe(8);
    expect(await count(key)).toEqual([
      { version: 'a', n: 5 },
      { version: 'b', n: 3 },
    ]);
    const { rows } = await suite.pool.query(
      'SELECT row_index, predicted_duration FROM batch_challenger_predictions WHERE run_key = $1 AND model_version = $2 ORDER BY row_index',
      [key, 'b'],
    );
    expect(rows).toEqual([
      { row_index: 0, predicted_duration: 20 },
      { row_index: 2, predicted_duration: 21 },
      { row_index: 4, predicted_duration: 22 },
    ]);

    await replaceRunChallengerPredictions({
      pool: suite.pool,
      runKey: key,
      rows: [chunk('c', 2, 1)],
    });
    expect(await count(key)).toEqual([{ version: 'c', n: 2 }]);
    await replaceRunChallengerPredictions({ pool: suite.pool, runKey: key, rows: [] });
    expect(await count(key)).toEqual([]);
    const { rows: partitions } = await suite.pool.query(
      "SELECT tablename FROM pg_tables WHERE tablename LIKE 'batch_challenger_predictions_%'",
    );
    expect(partitions).toEqual([]);
  });

  it('refuses a NaN prediction and keeps the previous rows', async () => {
    const key = await createRun('challenger-nan', 7);
    await replaceRunChallengerPredictions({
      pool: suite.pool,
      runKey: key,
      rows: [chunk('a', 2, 1)],
    });
    const bad = {
      modelVersion: 'a',
      rowIndex: Int32Array.of(0, 1),
      predicted: Float32Array.of(1, Number.NaN),
    };
    await expect(
      replaceRunChallengerPredictions({ pool: suite.pool, runKey: key, rows: [bad] }),
    ).rejects.toThrow(/row 1: predicted duration is NaN/);
    expect(await count(key)).toEqual([{ version: 'a', n: 2 }]);
  });
});
