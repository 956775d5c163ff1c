import { describe, expect, it } from 'vitest';

import { hourOfWeekOf, pairIndexOf, type TRideColumns } from '../features';
import { createLoadedModel, sha256Hex } from '../runtime';
import {
  additiveModelSpec,
  createAdditiveRows,
  DEFAULT_ADDITIVE_PARAMS,
  fitAdditiveModel,
  predictAdditive,
  type TAdditiveParams,
} from '../training/additive-fit';
import { additiveCardIo, buildAdditiveModel } from './additive-model';
import { decodeOnnxModel } from './onnx-proto';

// The exported `zones` graph folds the fitted blocks into a few tables; these tests score it on
// onnxruntime and compare every row with the per-term float64 computation (predictAdditive),
// on rides the fit never saw: unseen pairs, invalid zones, unknown pickup times, distances at
// and between the knots, zero, negative and past the clip.

/** Deterministic training rows over zones 1..60 only, so most pairs are never seen. */
function fitOnGeneratedRides(params: Partial<TAdditiveParams>) {
  const buffer = createAdditiveRows();
  let seed = 7;
  const next = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296;
  for (let i = 0; i < 30_000; i++) {
    const pu = 1 + Math.floor(next() * 60);
    const dropoff = 1 + Math.floor(next() * 60);
    const distance = next() < 0.03 ? 0 : 0.2 + next() * 14 + Math.abs(pu - dropoff) * 0.3;
    const hour = Math.floor(next() * 168);
    const rush = hour % 24 >= 7 && hour % 24 <= 9 ? 1.4 : 1;
    buffer.add(pu, dropoff, distance, hour, Math.min(60, 2 + distance * 3 * rush + next() * 4));
  }
  return fitAdditiveModel(buffer.rows(), { ...DEFAULT_ADDITIVE_PARAMS, sweeps: 4, ...params });
}

/** Rides the fit never saw, with every hour of the week and the distances that matter. */
function probeRides(): TRideColumns {
  const distances = [
    0, -1, 1e-6, 0.25, 0.5, 0.75, 1, 2, 2.5, 3, 5, 8, 12, 12.01, 30, 59.99, 60, 75, 500,
  ];
  const zones = [1, 7, 59, 60, 61, 132, 265, 0, 300, -4];
  const n = 3000;
  const columns = {
    pu: new Int32Array(n),
    do: new Int32Array(n),
    distance: new Float32Array(n),
    pickupMs: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    columns.pu[i] = zones[i % zones.length]!;
    columns.do[i] = zones[Math.floor(i / zones.length) % zones.length]!;
    columns.distance[i] = distances[i % distances.length]!;
    // 2021-01-04 was a Monday; every 11th ride has no known pickup time.
    columns.pickupMs[i] =
      i % 11 === 0 ? Number.NaN : Date.UTC(2021, 0, 4) + (i % 168) * 3_600_000 + 59_000;
  }
  return columns;
}

/** The fit's graph, loaded on onnxruntime. */
async function loadGraph(fit: ReturnType<typeof fitOnGeneratedRides>) {
  const onnx = buildAdditiveModel(additiveModelSpec(fit));
  const model = await createLoadedModel(onnx, {
    schemaVersion: 1,
    name: 'test',
    version: 'zones',
    createdAt: new Date(0).toISOString(),
    sha256: sha256Hex(onnx),
    ...additiveCardIo(fit.params.useTime),
    metrics: {},
  });
  return { onnx, model };
}

async function scoreAndCompare(params: Partial<TAdditiveParams>) {
  const fit = fitOnGeneratedRides(params);
  const { onnx, model } = await loadGraph(fit);
  try {
    const rides = probeRides();
    const minutes = await model.predict(rides);
    let worst = 0;
    let unseen = 0;
    for (let i = 0; i < rides.pu.length; i++) {
      const pair = pairIndexOf(rides.pu[i]!, rides.do[i]!);
      if (fit.pairSeen[pair] !== 1) unseen++;
      const expected = predictAdditive(
        fit,
        pair,
        rides.distance[i]!,
        hourOfWeekOf(rides.pickupMs![i]!),
      );
      worst = Math.max(worst, Math.abs(minutes[i]! - expected) / Math.max(1, Math.abs(expected)));
    }
    // Without pickup times at all (the course bodies): the "unknown" hour slot.
    const { pickupMs: _, ...withoutTime } = rides;
    const noTime = await model.predict(withoutTime);
    for (let i = 0; i < rides.pu.length; i += 7) {
      const expected = predictAdditive(
        fit,
        pairIndexOf(rides.pu[i]!, rides.do[i]!),
        rides.distance[i]!,
        168,
      );
      worst = Math.max(worst, Math.abs(noTime[i]! - expected) / Math.max(1, Math.abs(expected)));
    }
    return { worst, unseen, rows: rides.pu.length, onnx, model };
  } catch (error) {
    await model.close();
    throw error;
  }
}

describe('zones ONNX graph', () => {
  it.each([
    ['with pickup time', { useTime: true }],
    ['without pickup time', { useTime: false }],
    // Knots on a 0.1-mile grid: a finer cell table, same graph.
    ['knots off the half-mile grid', { useTime: true, knots: [0.3, 1.7, 4.1] }],
    // No grid of at most 1/1000 mile fits: the Relu + MatMul hinge form.
    ['knots on no grid', { useTime: true, knots: [Math.PI / 10, 2.5] }],
  ])(
    'matches the per-term computation to float32 rounding (%s), unseen pairs and unknown times included',
    async (_label, params) => {
      const { worst, unseen, rows, model } = await scoreAndCompare(params);
      await model.close();
      expect(unseen).toBeGreaterThan(rows / 2);
      expect(worst).toBeLessThan(2e-6);
    },
  );

  it('reads every table with a 1-D GatherElements, never Gather (~6x slower per row in onnxruntime 1.30)', async () => {
    const { onnx, model } = await scoreAndCompare({ useTime: true });
    await model.close();
    const graph = decodeOnnxModel(onnx).graph as {
      node: { op_type: string }[];
      input: { name: string }[];
    };
    const ops = graph.node.map((n) => n.op_type);
    expect(ops).not.toContain('Gather');
    expect(ops.filter((op) => op === 'GatherElements')).toHaveLength(6);
    // Three keys computed once each (pair, borough pair x hour, distance cell), the prediction's
    // floor last: 17 nodes, 3 inputs.
    expect(ops).toHaveLength(17);
    expect(ops.at(-1)).toBe('Max');
    expect(graph.input.map((i) => i.name)).toEqual([
      'pair_index',
      'trip_distance',
      'borough_pair_hour_index',
    ]);
  });

  it('never predicts below the shortest trip trained on, whatever a pair level says', async () => {
    const fit = fitOnGeneratedRides({ useTime: false });
    const low = pairIndexOf(7, 7);
    // A same-zone pair whose level sits far below the rest (what green 2021-01 gave zone 193).
    fit.levelTable[low] = -40;
    const { model } = await loadGraph(fit);
    try {
      const minutes = await model.predict({
        pu: Int32Array.of(7, 7, 7, 7),
        do: Int32Array.of(7, 7, 8, 8),
        distance: Float32Array.of(0.2, 0, 0.2, 3),
      });
      expect(fit.minDuration).toBe(1);
      expect(Array.from(minutes.subarray(0, 2))).toEqual([1, 1]);
      expect(predictAdditive(fit, low, 0.2, 168)).toBe(1);
      // Rows whose sum is above the floor are unchanged.
      expect(minutes[3]).toBeGreaterThan(1);
      expect(minutes[3]).toBeCloseTo(predictAdditive(fit, pairIndexOf(7, 8), 3, 168), 4);
    } finally {
      await model.close();
    }
  });

  it('scores a NaN distance as NaN without failing the rows around it', async () => {
    const fit = fitOnGeneratedRides({ useTime: false });
    const { model } = await loadGraph(fit);
    try {
      const minutes = await model.predict({
        pu: Int32Array.of(7, 7, 7),
        do: Int32Array.of(8, 8, 8),
        distance: Float32Array.of(2, Number.NaN, 3),
      });
      expect(minutes[1]).toBeNaN();
      expect(minutes[0]).toBeCloseTo(predictAdditive(fit, pairIndexOf(7, 8), 2, 168), 4);
      expect(minutes[2]).toBeCloseTo(predictAdditive(fit, pairIndexOf(7, 8), 3, 168), 4);
    } finally {
      await model.close();
    }
  });
});
