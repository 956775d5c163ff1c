import type { TModelCard } from '../model-card';
import { encodeOnnxModel } from './onnx-proto';

/** Zone IDs are 0..265 in the pair index (0 = null/invalid, whose row of the table is all intercept). */
export const ZONE_SLOTS = 266;
export const PAIR_TABLE_SIZE = ZONE_SLOTS * ZONE_SLOTS;

export type TLinearPairModelSpec = {
  /** Per pair index (PU*266+DO): the pair's one-hot coefficient; 0 for pairs never seen in training. */
  pairCoefficients: Float64Array;
  distanceCoefficient: number;
  intercept: number;
  metadata?: Record<string, string>;
};

export const LINEAR_PAIR_INPUTS = {
  pairIndex: 'pair_index',
  tripDistance: 'trip_distance',
  output: 'duration',
} as const;

/**
 * The course's linear model (one-hot PU_DO + trip_distance) in the fast standard-ops form:
 * `duration = Gather(table, PU*266+DO) + trip_distance * coef`, where
 * `table[pair] = intercept + coef[PU_DO]`. An unseen pair's slot holds the intercept alone, which
 * is exactly what DictVectorizer's all-zero row gives in scikit-learn. One Gather, one Mul, one Add:
 * no strings, no per-row allocation.
 */
export function buildLinearPairModel(spec: TLinearPairModelSpec): Uint8Array {
  if (spec.pairCoefficients.length !== PAIR_TABLE_SIZE) {
    throw new Error(
      `pairCoefficients must have ${PAIR_TABLE_SIZE} entries, got ${spec.pairCoefficients.length}`,
    );
  }
  const table = new Float32Array(PAIR_TABLE_SIZE);
  for (let i = 0; i < PAIR_TABLE_SIZE; i++)
    table[i] = spec.intercept + (spec.pairCoefficients[i] ?? 0);
  return encodeOnnxModel({
    name: 'tripcast_linear_pu_do',
    docString: 'duration (minutes) = table[PULocationID*266 + DOLocationID] + trip_distance * coef',
    metadata: spec.metadata,
    inputs: [
      { name: LINEAR_PAIR_INPUTS.pairIndex, type: 'int32', shape: ['N'] },
      { name: LINEAR_PAIR_INPUTS.tripDistance, type: 'float', shape: ['N'] },
    ],
    outputs: [{ name: LINEAR_PAIR_INPUTS.output, type: 'float', shape: ['N'] }],
    initializers: [
      { name: 'pair_table', type: 'float', dims: [PAIR_TABLE_SIZE], values: table },
      { name: 'distance_coef', type: 'float', dims: [], values: [spec.distanceCoefficient] },
    ],
    nodes: [
      {
        opType: 'Gather',
        inputs: ['pair_table', LINEAR_PAIR_INPUTS.pairIndex],
        outputs: ['pair_part'],
        attributes: [{ name: 'axis', int: 0 }],
      },
      {
        opType: 'Mul',
        inputs: [LINEAR_PAIR_INPUTS.tripDistance, 'distance_coef'],
        outputs: ['distance_part'],
      },
      {
        opType: 'Add',
        inputs: ['pair_part', 'distance_part'],
        outputs: [LINEAR_PAIR_INPUTS.output],
      },
    ],
  });
}

/** The card's input mapping for a model built by buildLinearPairModel. */
export function linearPairCardIo(): Pick<TModelCard, 'inputs' | 'output'> {
  return {
    inputs: [
      { name: LINEAR_PAIR_INPUTS.pairIndex, feature: 'pair_index', type: 'int32', isColumn: false },
      {
        name: LINEAR_PAIR_INPUTS.tripDistance,
        feature: 'trip_distance',
        type: 'float32',
        isColumn: false,
      },
    ],
    output: { name: LINEAR_PAIR_INPUTS.output, unit: 'minutes' },
  };
}
