// Real data through the real scorer: a model trained on the shared green 2021-01 month, in
// production, scores 2021-03, 2023-03 and 2024-01; each run's stored drift grows with time, the
// stored pickup-zone PSI equals one computed independently from the run's own Parquet, and so do
// the stored RMSE, MAE and bias (batch_run_model_metrics).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { listModelDrift } from '@tripcast/db/queries/drift';
import { listRunModelMetrics } from '@tripcast/db/queries/run-metrics';
import { getRunRecord } from '@tripcast/db/queries/runs';
import { useMigratedTestDatabase } from '@tripcast/db/testing';
import { populationStabilityIndex, ZDriftReport, ZONE_SLOTS } from '@tripcast/model/monitoring';
import { promoteModel, registerModel } from '@tripcast/model/store';
import { trainModel } from '@tripcast/model/training';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { cliEnv, queryDuckDb, runCli, sqlString } from './testing/cli-harness';
import { hasSharedData, sharedDataPath } from './testing/shared-data';

const MONTHS = ['2021-03', '2023-03', '2024-01'] as const;
const fileOf = (month: string) => `green_tripdata_${month}.parquet`;
const hasData = ['2021-01', ...MONTHS].every((m) => hasSharedData(fileOf(m)));
const suite = useMigratedTestDatabase();
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tripcast-monitoring-real-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!hasData)(
  `drift of a model trained on ${sharedDataPath(fileOf('2021-01'))}, scored month by month`,
  () => {
    it('grows with time; the stored pickup-zone PSI and RMSE/MAE/bias are the ones the run Parquet gives', async () => {
      const storeUri = path.join(dir, 'store');
      const trained = await trainModel({
        recipe: 'course',
        trainFiles: [sharedDataPath(fileOf('2021-01'))],
        version: 'green-2021-01',
      });
      await registerModel({
        db: suite.db,
        storeUri,
        onnx: trained.onnx,
        card: trained.card,
        actor: 'test',
      });
      await promoteModel(suite.db, {
        name: trained.card.name,
        version: trained.card.version,
        actor: 'test',
      });
      const env = cliEnv({
        DATABASE_URL: suite.url,
        OBJECT_STORE_URI: storeUri,
        TRIPCAST_HOME: dir,
      });

      const outputs = new Map<string, string>();
      for (const month of MONTHS) {
        const [year, mm] = month.split('-') as [string, string];
        const runId = `green-${month}-drift`;
        const result = await runCli(
          [
            'run',
            '--year',
            year,
            '--month',
            String(Number(mm)),
            '--input',
            sharedDataPath(fileOf(month)),
            '--run-id',
            runId,
          ],
          env,
        );
        expect(result.code, result.stderr).toBe(0);
        outputs.set(runId, (await getRunRecord(suite.pool, runId))!.outputUri!);
      }

      const rows = await listModelDrift(suite.db, { modelName: trained.card.name });
      expect(rows.map((r) => [r.scope, r.source, r.modelVersion, r.role])).toEqual(
        MONTHS.map((m) => [`green-${m}-drift`, 'batch', 'green-2021-01', 'production']),
      );
      const reports = rows.map((r) => ZDriftReport.parse(r.report));
      const [march, y2023, y2024] = reports as [
        (typeof reports)[0],
        (typeof reports)[0],
        (typeof reports)[0],
      ];
      expect([march.status, y2023.status, y2024.status]).toEqual(['watch', 'alert', 'alert']);
      expect(march.maxPsi).toBeLessThan(y2023.maxPsi);
      expect(y2023.maxPsi).toBeLessThan(y2024.maxPsi);
      for (const feature of ['distance', 'pickupZones', 'dropoffZones', 'prediction'] as const) {
        expect(march.features[feature]!.psi, feature).toBeLessThan(y2023.features[feature]!.psi);
        expect(y2023.features[feature]!.psi, feature).toBeLessThan(y2024.features[feature]!.psi);
      }
      // The batch run counts its scored rows as they are scored; the Parquet holds exactly those rows.
      for (const row of rows) {
        const counts = new Array<number>(ZONE_SLOTS).fill(0);
        const grouped = await queryDuckDb(
          `SELECT PULocationID AS pu, count(*)::INTEGER AS n FROM read_parquet(${sqlString(outputs.get(row.scope)!)}) GROUP BY 1`,
        );
        for (const g of grouped) {
          const pu = Number(g.pu);
          counts[pu >= 1 && pu < ZONE_SLOTS ? pu : 0]! += Number(g.n);
        }
        expect(counts.reduce((a, b) => a + b, 0)).toBe(row.rows);
        const psi = populationStabilityIndex(trained.card.profile!.pickupZones, counts)!;
        expect(ZDriftReport.parse(row.report).features.pickupZones!.psi, row.scope).toBeCloseTo(
          psi,
          5,
        );
      }

      // The stored error figures of each run are the ones its own Parquet gives (actual vs predicted).
      // The error itself does not grow on these months (RMSE 7.72, 6.66, 6.38 for the course
      // recipe) while every drift measure does, so the ordering asserted is drift's, not the error's.
      for (const [runId, output] of outputs) {
        const record = (await getRunRecord(suite.pool, runId))!;
        const [stored] = await listRunModelMetrics(suite.db, record.key);
        const [independent] = await queryDuckDb(
          `SELECT sqrt(avg(power(predicted_duration - actual_duration, 2))) AS rmse,
                  avg(abs(predicted_duration - actual_duration)) AS mae,
                  avg(predicted_duration - actual_duration) AS bias, count(*)::INTEGER AS n
           FROM read_parquet(${sqlString(output)})`,
        );
        expect(stored!.rowsWithActual).toBe(Number(independent!.n));
        expect(stored!.rmse!, runId).toBeCloseTo(independent!.rmse as number, 3);
        expect(stored!.mae!, runId).toBeCloseTo(independent!.mae as number, 3);
        expect(stored!.bias!, runId).toBeCloseTo(independent!.bias as number, 3);
      }
    });
  },
);
