// A batch run scores with production and every challenger of the registry: production's course
// Parquet and rows are exactly what a one-model run writes; each challenger gets a sibling Parquet,
// its rows in batch_challenger_predictions and its figures in batch_run_model_metrics; a challenger
// whose artifact fails its checksum is skipped and reported. Real Postgres, onnxruntime, DuckDB.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { createDbClient } from '@tripcast/db/client';
import { listHistory } from '@tripcast/db/queries/history';
import { listRunModelMetrics } from '@tripcast/db/queries/run-metrics';
import { getRunRecord } from '@tripcast/db/queries/runs';
import { useMigratedTestDatabase } from '@tripcast/db/testing';
import {
  addChallenger,
  modelArtifactUri,
  promoteModel,
  registerModel,
} from '@tripcast/model/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { challengerOutputUri } from './paths';
import type { TScoreResult } from './score-month';
import { cliEnv, queryDuckDb, runCli, sqlString } from './testing/cli-harness';
import { buildTestModel, TEST_MODEL, writeTestModel, writeTestMonth } from './testing/fixtures';

const suite = useMigratedTestDatabase();
let dir: string;
let env: NodeJS.ProcessEnv;
const ROWS = 800;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tripcast-batch-challengers-'));
  const storeUri = path.join(dir, 'store');
  await writeTestMonth({
    file: path.join(dir, 'data', 'green_tripdata_2021-01.parquet'),
    rows: ROWS,
    year: 2021,
    month: 1,
  });
  const db = createDbClient(suite.url);
  try {
    // Production answers 5 + ...; challenger "longer" 2 min more, "shorter" 1 min less, "broken"
    // is registered and then its artifact is overwritten (the registry's sha256 no longer matches).
    for (const [version, intercept] of [
      ['prod', 5],
      ['longer', 7],
      ['shorter', 4],
      ['broken', 5],
    ] as const) {
      const { onnx, card } = buildTestModel(version, { intercept });
      await registerModel({ db, storeUri, onnx, card, actor: 'test' });
    }
    await promoteModel(db, { name: TEST_MODEL.name, version: 'prod', actor: 'test' });
    for (const version of ['longer', 'shorter', 'broken'])
      await addChallenger(db, { name: TEST_MODEL.name, version, actor: 'test' });
    await writeFile(
      path.join(modelArtifactUri(storeUri, TEST_MODEL.name, 'broken'), 'model.onnx'),
      'not the registered bytes',
    );
  } finally {
    await db.$disconnect();
  }
  env = cliEnv({
    DATABASE_URL: suite.url,
    OBJECT_STORE_URI: storeUri,
    TRIPCAST_HOME: dir,
    INPUT_FILE_PATTERN: path.join(
      dir,
      'data',
      '{taxi_type}_tripdata_{year:04d}-{month:02d}.parquet',
    ),
  });
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const parquetRows = (file: string) =>
  queryDuckDb(
    `SELECT ride_id, predicted_duration, actual_duration, model_version FROM read_parquet(${sqlString(file)}) ORDER BY ride_id`,
  );

describe('batch run with challengers', () => {
  it('keeps production exactly as a one-model run, and adds each challenger beside it', async () => {
    const alone = await runCli(
      ['run', '--year', '2021', '--month', '1', '--run-id', 'alone', '--no-challengers', '--json'],
      env,
    );
    expect(alone.code, alone.stderr).toBe(0);
    const aloneResult = JSON.parse(alone.stdout) as TScoreResult;
    expect(aloneResult.models.map((m) => m.modelVersion)).toEqual(['prod']);

    const run = await runCli(
      ['run', '--year', '2021', '--month', '1', '--run-id', 'with-challengers', '--json'],
      env,
    );
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as TScoreResult;
    expect(result.modelVersion).toBe('prod');
    expect(run.stderr).toContain('challenger broken skipped: failed to load');

    // Production's file: the same rows and predictions as the one-model run.
    const production = await parquetRows(result.outputUri);
    const productionAlone = await parquetRows(aloneResult.outputUri);
    expect(production.length).toBe(result.rowsScored);
    expect(production).toEqual(productionAlone);

    const byVersion = Object.fromEntries(result.models.map((m) => [m.modelVersion, m]));
    expect(Object.keys(byVersion).sort()).toEqual(['broken', 'longer', 'prod', 'shorter']);
    expect(byVersion.broken!.error).toMatch(/^failed to load: .*sha256/);
    expect(byVersion.broken!.outputUri).toBeNull();

    for (const [version, shift] of [
      ['longer', 2],
      ['shorter', -1],
    ] as const) {
      const m = byVersion[version]!;
      expect(m.error).toBeNull();
      expect(m.outputUri).toBe(challengerOutputUri(result.outputUri, version));
      const rows = await queryDuckDb(
        `SELECT ride_id, predicted_duration, model_version FROM read_parquet(${sqlString(m.outputUri!)}) ORDER BY ride_id`,
      );
      expect(rows.map((r) => r.ride_id)).toEqual(production.map((r) => r.ride_id));
      // In production's order too: the two files line up row by row, as DuckDB reads them.
      const inFileOrder = await queryDuckDb(
        `SELECT c.ride_id = p.ride_id AS same FROM read_parquet(${sqlString(m.outputUri!)}) c
         POSITIONAL JOIN read_parquet(${sqlString(result.outputUri)}) p`,
      );
      expect(inFileOrder.every((r) => r.same === true)).toBe(true);
      rows.forEach((r, i) => {
        expect(r.model_version).toBe(version);
        expect(r.predicted_duration as number).toBeCloseTo(
          (production[i]!.predicted_duration as number) + shift,
          4,
        );
      });
      expect(m.agreement!.meanDifference).toBeCloseTo(shift, 4);
      expect(m.agreement!.shareOver5Minutes).toBe(0);
      // The stored RMSE is the one an independent computation over the run's own Parquet gives.
      const [independent] = await queryDuckDb(
        `SELECT sqrt(avg(power(c.predicted_duration - p.actual_duration, 2))) AS rmse, avg(c.predicted_duration - p.actual_duration) AS bias
         FROM read_parquet(${sqlString(m.outputUri!)}) c JOIN read_parquet(${sqlString(result.outputUri)}) p USING (ride_id)`,
      );
      expect(m.metrics.rmse!).toBeCloseTo(independent!.rmse as number, 4);
      expect(m.metrics.bias!).toBeCloseTo(independent!.bias as number, 4);
    }

    // Postgres: production's rows unchanged, each scoring challenger's rows beside them, the figures stored.
    const record = await getRunRecord(suite.pool, 'with-challengers');
    const counts = await suite.pool.query<{ version: string; n: number }>(
      `SELECT c.model_version AS version, count(*)::int AS n FROM batch_challenger_predictions c
       JOIN batch_runs r ON r.key = c.run_key WHERE r.id = 'with-challengers' GROUP BY 1 ORDER BY 1`,
    );
    expect(counts.rows).toEqual([
      { version: 'longer', n: result.rowsScored },
      { version: 'shorter', n: result.rowsScored },
    ]);
    const sameRide = await suite.pool.query<{ diff: number }>(
      `SELECT max(abs(c.predicted_duration - p.predicted_duration - 2))::float8 AS diff
       FROM batch_challenger_predictions c JOIN batch_predictions p USING (run_key, row_index)
       WHERE c.model_version = 'longer' AND c.run_key = $1`,
      [record!.key],
    );
    expect(sameRide.rows[0]!.diff).toBeLessThan(1e-4);
    const stored = await listRunModelMetrics(suite.db, record!.key);
    expect(stored.map((m) => [m.modelVersion, m.role, m.error === null])).toEqual([
      ['prod', 'production', true],
      ['broken', 'challenger', false],
      ['longer', 'challenger', true],
      ['shorter', 'challenger', true],
    ]);
    expect(stored[2]!.rmse).toBeCloseTo(byVersion.longer!.metrics.rmse!, 6);
    expect(stored[0]!.rmse).toBeCloseTo(result.summary.error.rmse!, 3);

    // History (the console's page and CSV) shows each challenger's batch rows with its role.
    const history = await listHistory(suite.db, {
      filter: { sources: ['batch'], roles: ['challenger'], modelVersion: 'longer' },
      page: 1,
      pageSize: 5,
    });
    expect(history.items).toHaveLength(5);
    for (const row of history.items) {
      expect(row).toMatchObject({
        source: 'batch',
        role: 'challenger',
        modelVersion: 'longer',
        runId: 'with-challengers',
      });
      const productionRow = production.find((p) => p.ride_id === row.rideId)!;
      expect(row.predictedDuration!).toBeCloseTo(
        (productionRow.predicted_duration as number) + 2,
        4,
      );
      expect(row.actualDuration!).toBeCloseTo(productionRow.actual_duration as number, 4);
    }
    const both = await listHistory(suite.db, {
      filter: { sources: ['batch'] },
      page: 1,
      pageSize: 6,
    });
    expect(new Set(both.items.map((r) => r.rideId)).size).toBe(2); // production + two challengers per ride

    // A rerun without challengers replaces the run's challenger rows and figures.
    const rerun = await runCli(
      [
        'run',
        '--year',
        '2021',
        '--month',
        '1',
        '--run-id',
        'with-challengers',
        '--no-challengers',
        '--json',
      ],
      env,
    );
    expect(rerun.code, rerun.stderr).toBe(0);
    const after = await suite.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM batch_challenger_predictions WHERE run_key = $1',
      [record!.key],
    );
    expect(after.rows[0]!.n).toBe(0);
    expect((await listRunModelMetrics(suite.db, record!.key)).map((m) => m.modelVersion)).toEqual([
      'prod',
    ]);
  });

  it('takes challengers from folders with --challenger-location, without a database', async () => {
    const production = await writeTestModel(path.join(dir, 'folder-prod'), 'folder-prod');
    const longer = await writeTestModel(path.join(dir, 'folder-longer'), 'folder-longer', {
      intercept: 8,
    });
    const output = path.join(dir, 'out', 'scored.parquet');
    const run = await runCli(
      [
        'run',
        '--year',
        '2021',
        '--month',
        '1',
        '--no-db',
        '--model-location',
        production,
        '--output',
        output,
        '--challenger-location',
        longer,
        '--challenger-location',
        path.join(dir, 'no-such-model'),
        '--json',
      ],
      env,
    );
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as TScoreResult;
    expect(result.models.map((m) => [m.modelVersion, m.role, m.error === null])).toEqual([
      ['folder-prod', 'production', true],
      ['folder-longer', 'challenger', true],
      ['no-such-model', 'challenger', false],
    ]);
    const rows = await queryDuckDb(
      `SELECT ride_id FROM read_parquet(${sqlString(challengerOutputUri(output, 'folder-longer'))})`,
    );
    expect(rows.length).toBe(result.rowsScored);
    expect(result.models[1]!.agreement!.meanDifference).toBeCloseTo(3, 4);
  });
});
