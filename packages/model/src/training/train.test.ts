import { execFileSync, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadModel } from '../runtime';
import { hasSharedData, sharedDataPath } from '../testing/shared-data';
import { sqlString, withDuckDb } from '../trips/duckdb';
import { generateTripMonth } from '../trips/generate';
import { readTripMonth } from '../trips/read';
import { durationMinutes, isCourseDuration } from '../trips/validate';
import { predictLinearFit } from './linear-fit';
import { trainModel } from './train';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tripcast-train-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('train -> export -> load -> predict', () => {
  it('round-trips through ONNX and onnxruntime to 1e-4 minutes of the float64 fit', async () => {
    const train = await generateTripMonth({
      taxiType: 'green',
      year: 2024,
      month: 1,
      rows: 30_000,
      seed: 1,
      outPath: dir,
    });
    const validation = await generateTripMonth({
      taxiType: 'green',
      year: 2024,
      month: 2,
      rows: 10_000,
      seed: 2,
      outPath: dir,
    });
    for (const solver of ['sklearn', 'exact'] as const) {
      const { onnx, card, fit } = await trainModel({
        recipe: 'course',
        solver,
        trainFiles: [train.path],
        validationFile: validation.path,
        version: `t-${solver}`,
      });
      expect(card.training?.trainData[0]).toMatchObject({
        taxiType: 'green',
        year: 2024,
        month: 1,
        rowsRead: 30_000,
      });
      expect(card.training?.trainData[0]?.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(card.metrics.validation?.rows).toBeGreaterThan(8_000);
      // The generator's durations follow distance: a model that learnt nothing would have a slope near 0.
      expect(fit.distanceCoefficient).toBeGreaterThan(0.3);

      const modelDir = path.join(dir, solver);
      await mkdir(modelDir);
      await writeFile(path.join(modelDir, 'model.onnx'), onnx);
      await writeFile(path.join(modelDir, 'card.json'), JSON.stringify(card));
      const model = await loadModel(modelDir);
      let sumSquared = 0;
      let rows = 0;
      let maxError = 0;
      for await (const chunk of readTripMonth(validation.path)) {
        const predicted = await model.predict(chunk);
        for (let i = 0; i < chunk.length; i++) {
          const pu = chunk.pu[i]!;
          const dropoff = chunk.do[i]!;
          const minutes = durationMinutes(chunk.pickupMs[i]!, chunk.dropoffMs[i]!);
          if (
            pu < 1 ||
            dropoff < 1 ||
            Number.isNaN(chunk.distance[i]!) ||
            !isCourseDuration(minutes)
          )
            continue;
          const expected = predictLinearFit(fit, pu * 266 + dropoff, chunk.distance[i]!);
          maxError = Math.max(maxError, Math.abs(predicted[i]! - expected));
          sumSquared += (predicted[i]! - minutes) ** 2;
          rows++;
        }
      }
      await model.close();
      expect(maxError).toBeLessThan(1e-4);
      expect(rows).toBe(card.metrics.validation?.rows);
      expect(Math.sqrt(sumSquared / rows)).toBeCloseTo(card.metrics.validation!.rmse, 4);
    }
  });
});

// Debian's python3-sklearn (apt-get install -y python3-sklearn python3-pandas) runs the course's own
// training code; the test skips when it or the real month is absent.
const PYTHON = '/usr/bin/python3';
const hasSklearn =
  spawnSync(PYTHON, ['-c', 'import sklearn, pandas'], { stdio: 'ignore' }).status === 0;
const greenFile = sharedDataPath('green_tripdata_2021-01.parquet');
describe.skipIf(!hasSklearn || !hasSharedData('green_tripdata_2021-01.parquet'))(
  `parity with the course's scikit-learn code (${PYTHON} sklearn, ${greenFile})`,
  () => {
    it('reproduces DictVectorizer + LinearRegression on green 2021-01', async () => {
      const csv = path.join(dir, 'green.csv');
      await withDuckDb(async (c) => {
        await c.run(`COPY (SELECT lpep_pickup_datetime AS pickup, lpep_dropoff_datetime AS dropoff, PULocationID, DOLocationID, trip_distance
          FROM read_parquet(${sqlString(greenFile)})) TO ${sqlString(csv)} (HEADER)`);
      });
      const script = path.resolve(import.meta.dirname, '../../scripts/sklearn-reference.py');
      const reference = JSON.parse(
        execFileSync(PYTHON, [script, csv, csv], { encoding: 'utf8' }),
      ) as {
        intercept: number;
        tripDistance: number;
        rmse: number;
        rows: number;
        probes: number[];
      };
      const { fit, card } = await trainModel({
        recipe: 'course',
        trainFiles: [greenFile],
        validationFile: greenFile,
      });
      expect(card.metrics.validation?.rows).toBe(reference.rows);
      expect(card.metrics.validation?.rmse).toBeCloseTo(reference.rmse, 6);
      expect(fit.intercept).toBeCloseTo(reference.intercept, 5);
      expect(fit.distanceCoefficient).toBeCloseTo(reference.tripDistance, 9);
      // Probes: a seen pair, an unseen pair ("1_1" never occurs in green 2021-01), another seen pair.
      const probes = [
        [43, 151, 1.01],
        [1, 1, 3.0],
        [74, 75, 2.5],
      ] as const;
      probes.forEach(([pu, dropoff, distance], i) => {
        // 1e-4 min: lsqr's early stop leaves per-pair coefficients sensitive at the 1e-6 level to
        // floating-point summation order (ours runs on the exactly compressed problem).
        expect(predictLinearFit(fit, pu * 266 + dropoff, distance)).toBeCloseTo(
          reference.probes[i]!,
          4,
        );
      });
    }, 60_000);
  },
);
