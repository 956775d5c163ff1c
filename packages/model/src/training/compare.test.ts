import { describe, expect, it } from 'vitest';

import { createLoadedModel } from '../runtime';
import { hasSharedData, sharedDataPath } from '../testing/shared-data';
import { compareModelsOnMonth } from './compare';
import { trainModel } from './train';

const TRAIN = 'green_tripdata_2021-01.parquet';
const VALIDATION = 'green_tripdata_2021-03.parquet';
const hasData = hasSharedData(TRAIN) && hasSharedData(VALIDATION);

// Two real models (the course recipe and the default zones recipe, trained on green 2021-01),
// compared through onnxruntime on green 2021-03: the comparison must agree with what training
// measured on the same month with its own float64 predictor, and tell the two apart.
describe.skipIf(!hasData)('compareModelsOnMonth on the shared split', () => {
  it("reproduces each version's validation figures through onnxruntime and measures how far they are apart", async () => {
    const trained = await Promise.all(
      (['course', 'zones'] as const).map((recipe) =>
        trainModel({
          recipe,
          trainFiles: [sharedDataPath(TRAIN)],
          validationFile: sharedDataPath(VALIDATION),
          now: new Date('2026-12-04T00:00:00Z'),
        }),
      ),
    );
    const models = await Promise.all(
      trained.map(({ onnx, card }) => createLoadedModel(onnx, card)),
    );
    try {
      const comparison = await compareModelsOnMonth({
        file: sharedDataPath(VALIDATION),
        models: models.map((model, i) => ({ label: ['course', 'zones'][i]!, model })),
      });
      const [course, zones] = comparison.versions;
      const validation = trained.map(({ card }) => card.metrics.validation!);

      // The same rows training validated on, and the same errors (float32 ONNX vs float64 math).
      expect(comparison.rowsCompared).toBe(validation[0]!.rows);
      expect(course!.evaluation.rows).toBe(validation[0]!.rows);
      expect(course!.evaluation.rmse).toBeCloseTo(validation[0]!.rmse, 3);
      expect(zones!.evaluation.rmse).toBeCloseTo(validation[1]!.rmse, 3);
      expect(zones!.evaluation.mae).toBeCloseTo(validation[1]!.mae!, 3);
      expect(zones!.evaluation.rmse).toBeLessThan(course!.evaluation.rmse - 1);

      // Bands partition the rows; the grid holds every row once.
      expect(zones!.evaluation.byDistance.reduce((sum, band) => sum + band.rows, 0)).toBe(
        comparison.rowsCompared,
      );
      const gridTotal = zones!.predictedVsActual.counts.flat().reduce((sum, n) => sum + n, 0);
      expect(gridTotal).toBe(comparison.rowsCompared);

      // Two different models disagree, measurably and consistently.
      expect(comparison.pairs).toHaveLength(1);
      const [pair] = comparison.pairs;
      expect(pair).toMatchObject({ a: 'course', b: 'zones' });
      expect(pair!.meanAbsDifference).toBeGreaterThan(1);
      expect(pair!.p95AbsDifference).toBeGreaterThan(pair!.meanAbsDifference);
      expect(pair!.shareOver5Minutes).toBeGreaterThan(0.05);
      expect(pair!.shareOver5Minutes).toBeLessThan(1);
    } finally {
      await Promise.all(models.map((model) => model.close()));
    }
  }, 180_000);

  it('finds no difference between a version and itself', async () => {
    const { onnx, card } = await trainModel({
      recipe: 'course',
      trainFiles: [sharedDataPath(TRAIN)],
    });
    const [a, b] = await Promise.all([
      createLoadedModel(onnx, card),
      createLoadedModel(onnx, card),
    ]);
    try {
      const comparison = await compareModelsOnMonth({
        file: sharedDataPath(VALIDATION),
        models: [
          { label: 'a', model: a },
          { label: 'b', model: b },
        ],
      });
      expect(comparison.pairs[0]).toMatchObject({ meanAbsDifference: 0, shareOver5Minutes: 0 });
      expect(comparison.versions[0]!.evaluation).toEqual(comparison.versions[1]!.evaluation);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  }, 120_000);
});
