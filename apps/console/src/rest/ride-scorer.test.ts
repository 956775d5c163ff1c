/**
 * Micro-batching on a real onnxruntime session (the linear pair graph): the model's predict and
 * predictSync are wrapped only to count calls, which is what micro-batching changes.
 */
import { buildLinearPairModel, linearPairCardIo, PAIR_TABLE_SIZE } from '@tripcast/model/onnx';
import { createLoadedModel, sha256Hex } from '@tripcast/model/runtime';
import type { TLoadedModel } from '@tripcast/model/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMicroBatchingScorer, type TSyncScoringModel } from './ride-scorer';
import type { TRideColumns } from '@tripcast/model/features';

let loaded: TLoadedModel;
let calls: number[] = [];
let isBroken = false;
const model: TSyncScoringModel = {
  name: 'm',
  version: 'v1',
  predict: (columns) => {
    calls.push(columns.pu.length);
    return isBroken ? Promise.reject(new Error('session failed')) : loaded.predict(columns);
  },
  predictSync: (columns) => {
    calls.push(columns.pu.length);
    if (isBroken) throw new Error('session failed');
    return loaded.predictSync(columns);
  },
};

function ride(pu: number, distance: number): TRideColumns {
  return { pu: Int32Array.of(pu), do: Int32Array.of(1), distance: Float32Array.of(distance) };
}

beforeAll(async () => {
  const pairCoefficients = new Float64Array(PAIR_TABLE_SIZE);
  for (let pu = 1; pu <= 265; pu++) pairCoefficients[pu * 266 + 1] = pu; // duration = pu + distance
  const bytes = buildLinearPairModel({ pairCoefficients, distanceCoefficient: 1, intercept: 0 });
  loaded = await createLoadedModel(bytes, { schemaVersion: 1, name: 'm', version: 'v1', createdAt: new Date().toISOString(), sha256: sha256Hex(bytes), ...linearPairCardIo() });
});
afterAll(async () => {
  await loaded?.close();
});

describe('createMicroBatchingScorer', () => {
  it('runs concurrent requests in one session.run and gives each its own durations', async () => {
    calls = [];
    const score = createMicroBatchingScorer(() => model);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => score(ride(i + 1, 0.5))));
    expect(calls).toEqual([20]);
    results.forEach((result, i) => {
      expect(Array.from(result.durations)).toEqual([i + 1.5]);
      expect(result.modelVersion).toBe('v1');
    });
  });

  it('runs a lone request at once, and requests from different turns separately', async () => {
    calls = [];
    const score = createMicroBatchingScorer(() => model);
    expect(Array.from((await score(ride(7, 1))).durations)).toEqual([8]);
    expect(Array.from((await score(ride(9, 1))).durations)).toEqual([10]);
    expect(calls).toEqual([1, 1]);
  });

  it('caps a merged run at maxBatchRides; a large request runs on its own', async () => {
    calls = [];
    const score = createMicroBatchingScorer(() => model, { maxBatchRides: 8 });
    const small = Array.from({ length: 12 }, (_, i) => score(ride(i + 1, 0)));
    const big = score({ pu: new Int32Array(10).fill(3), do: new Int32Array(10).fill(1), distance: new Float32Array(10).fill(2) });
    const [smallResults, bigResult] = await Promise.all([Promise.all(small), big]);
    // The 9th small request overflows the first window (run of 8); the large one runs directly; 4 remain.
    expect(calls).toEqual([8, 10, 4]);
    expect(smallResults.map((r) => r.durations[0])).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(Array.from(bigResult.durations)).toEqual(new Array<number>(10).fill(5));
  });

  it('fails every request of a failed run with the error', async () => {
    calls = [];
    isBroken = true;
    try {
      const score = createMicroBatchingScorer(() => model);
      const results = await Promise.allSettled([score(ride(1, 1)), score(ride(2, 1)), score(ride(3, 1))]);
      expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
      expect(calls).toEqual([3]);
    } finally {
      isBroken = false;
    }
  });
});
