import { describe, expect, it } from 'vitest';

import { hourOfWeekOf } from '../features';
import { createLoadedModel } from '../runtime';
import { hasSharedData, sharedDataPath } from '../testing/shared-data';
import { trainModel } from './train';

const TRAIN = 'green_tripdata_2021-01.parquet';
const VALIDATION = 'green_tripdata_2021-03.parquet';
const hasData = hasSharedData(TRAIN) && hasSharedData(VALIDATION);

// The shared split (train green 2021-01, validate green 2021-03, course filter): the
// default recipe must beat scikit-learn's HistGradientBoostingRegressor (6.0816 without pickup
// time, 5.6579 with hour + weekday; CONTRACTS.md) with a margin.
describe.skipIf(!hasData)(`zones recipe on ${sharedDataPath(TRAIN)} -> ${VALIDATION}`, () => {
  const train = (useTime: boolean) =>
    trainModel({
      recipe: 'zones',
      params: { useTime },
      trainFiles: [sharedDataPath(TRAIN)],
      validationFile: sharedDataPath(VALIDATION),
      now: new Date('2026-12-04T00:00:00Z'),
    });

  it('beats gradient-boosted trees with pickup time (RMSE <= 5.65), reproducibly, and its ONNX grows with distance', async () => {
    const first = await train(true);
    const validation = first.card.metrics.validation!;
    expect(validation.rows).toBeGreaterThan(80_000);
    expect(validation.rmse).toBeLessThanOrEqual(5.65);
    expect(first.card.training?.recipe).toBe('zones');
    expect(first.card.training?.hyperParameters?.useTime).toBe(true);
    expect(first.card.inputs.map((i) => i.feature)).toEqual([
      'pair_index',
      'trip_distance',
      'borough_pair_hour_index',
    ]);
    expect(first.card.training?.trainData[0]?.sha256).toMatch(/^[0-9a-f]{64}$/);
    const detail = first.card.metrics.validationDetail!;
    expect(detail.byDistance.reduce((s, b) => s + b.rows, 0)).toBe(validation.rows);
    expect(detail.byBoroughPair.length).toBeGreaterThan(10);
    expect(detail.unseenPairShare).toBeGreaterThan(0);

    // Same months + recipe = same bytes (and so the same version suffix).
    const second = await train(true);
    expect(Buffer.from(second.onnx).equals(Buffer.from(first.onnx))).toBe(true);
    expect(second.card.version).toBe(first.card.version);
    // The monitoring reference is part of the card and as reproducible as the graph.
    expect(second.card.profile).toEqual(first.card.profile);
    expect(first.card.profile?.rows).toBe(first.card.metrics.train?.rows);

    // Monotone in distance for every pair (seen or not) and hour, through onnxruntime.
    const model = await createLoadedModel(first.onnx, first.card);
    try {
      const steps = 61; // 0..60 mi by 1, the clip
      const pairs = [
        [7, 132], // Astoria -> JFK
        [132, 7],
        [1, 265],
        [264, 264],
        [74, 75],
        [5, 204], // Staten Island -> Staten Island, rarely seen
      ];
      const hours = [0, 8, 17, 100, 167];
      const n = pairs.length * hours.length * steps;
      const columns = {
        pu: new Int32Array(n),
        do: new Int32Array(n),
        distance: new Float32Array(n),
        pickupMs: new Float64Array(n),
      };
      let i = 0;
      for (const [pu, dz] of pairs)
        for (const h of hours)
          for (let s = 0; s < steps; s++, i++) {
            columns.pu[i] = pu!;
            columns.do[i] = dz!;
            columns.distance[i] = s === 0 ? 0.1 : s;
            columns.pickupMs[i] = Date.UTC(2021, 2, 1) + h * 3_600_000; // 2021-03-01 is a Monday
          }
      expect(hourOfWeekOf(Date.UTC(2021, 2, 1) + 17 * 3_600_000)).toBe(17);
      const minutes = await model.predict(columns);
      // Strictly increasing above the graph's floor (the shortest trip trained on, 1 min); a
      // short trip that would have come out below it is held at it.
      for (let r = 0; r < n; r += steps)
        for (let s = 1; s < steps; s++) {
          const before = minutes[r + s - 1]!;
          expect(before).toBeGreaterThanOrEqual(1);
          if (before > 1) expect(minutes[r + s]!).toBeGreaterThan(before);
          else expect(minutes[r + s]!).toBeGreaterThanOrEqual(before);
        }
      // Astoria -> JFK: 1 mile and 20 miles must not get the same answer (the course's model gives them one).
      const astoria = await model.predict({
        pu: Int32Array.of(7, 7),
        do: Int32Array.of(132, 132),
        distance: Float32Array.of(1, 20),
      });
      expect(astoria[1]! - astoria[0]!).toBeGreaterThan(20);
    } finally {
      await model.close();
    }
  }, 240_000);

  it('beats gradient-boosted trees without pickup time (RMSE <= 6.05); an unseen pair falls back to its zones', async () => {
    const { card, onnx } = await train(false);
    expect(card.metrics.validation!.rmse).toBeLessThanOrEqual(6.05);
    expect(card.inputs.map((i) => i.feature)).toEqual(['pair_index', 'trip_distance']);
    const model = await createLoadedModel(onnx, card);
    try {
      // Pairs never seen differ by what their zones are known for, rather than one intercept.
      const minutes = await model.predict({
        pu: Int32Array.of(5, 5, 1),
        do: Int32Array.of(1, 132, 5),
        distance: Float32Array.of(10, 10, 10),
      });
      expect(new Set(Array.from(minutes, (m) => m.toFixed(3))).size).toBe(3);
    } finally {
      await model.close();
    }
  }, 240_000);
});
