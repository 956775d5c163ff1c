/** A real ONNX model (the linear pair graph the trainer exports) with random coefficients, for load tests. */
import { buildLinearPairModel, linearPairCardIo, PAIR_TABLE_SIZE } from '@tripcast/model/onnx';
import { createLoadedModel, sha256Hex } from '@tripcast/model/runtime';
import type { TLoadedModel } from '@tripcast/model/runtime';

export async function loadFixtureModel(version = 'bench-1'): Promise<TLoadedModel> {
  const pairCoefficients = new Float64Array(PAIR_TABLE_SIZE);
  let seed = 42;
  for (let i = 0; i < PAIR_TABLE_SIZE; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    pairCoefficients[i] = (seed / 2 ** 32 - 0.5) * 20;
  }
  const bytes = buildLinearPairModel({ pairCoefficients, distanceCoefficient: 2.5, intercept: 10 });
  const card = {
    schemaVersion: 1,
    name: 'ride_duration_prediction_model',
    version,
    createdAt: new Date().toISOString(),
    sha256: sha256Hex(bytes),
    ...linearPairCardIo(),
  };
  return createLoadedModel(bytes, card);
}
