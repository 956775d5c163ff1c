import type { TModelCard } from '../model-card';
import { PAIR_TABLE_SIZE } from './linear-pair-model';
import { encodeOnnxModel, type TNode, type TTensor, type TValueInfo } from './onnx-proto';

export type TAdditiveModelSpec = {
  /** Per pair index (PU*266+DO): the level (intercept included). */
  levelTable: Float64Array;
  /** Per pair index: the distance slope on top of the global hinge curve. */
  slopeTable: Float64Array;
  distanceClip: number;
  /** Hinge knots (0 first) and weights: Σ w_k·max(d - knot_k, 0). */
  knots: number[];
  hingeWeights: number[];
  /** Added when the clipped distance is 0. */
  zeroDistanceLevel: number;
  /** A row's slope (pair + hour) is raised to at least this: predictions grow with distance. */
  rowSlopeFloor: number;
  /** Time blocks; absent = the model ignores pickup time. */
  time?: {
    /** 169 slots (168 = unknown). */
    hourLevel: Float64Array;
    hourSlope: Float64Array;
    /** Per borough pair * bands + band. */
    bandLevel: Float64Array;
    /** Borough pair * bands of each pair index. */
    pairBandBase: Int32Array;
    /** Band of each hour-of-week slot. */
    hourBand: Int32Array;
  };
  metadata?: Record<string, string>;
};

export const ADDITIVE_INPUTS = {
  pairIndex: 'pair_index',
  tripDistance: 'trip_distance',
  hourOfWeek: 'hour_of_week',
  output: 'duration',
} as const;

/**
 * The `zones` recipe's graph, standard ops only, every table a Gather (all [N] tensors except the
 * [N, knots] hinge matrix):
 *   d = Clip(trip_distance, 0, clip)
 *   slope = Max(Gather(slope, pair) [+ Gather(hourSlope, how)], floor)
 *   duration = Gather(level, pair) [+ Gather(hourLevel, how) + Gather(band, Gather(pairBandBase, pair) + Gather(hourBand, how))]
 *            + d·slope + MatMul(Relu(d[:,None] - knots), w) + (d == 0)·zeroLevel
 */
export function buildAdditiveModel(spec: TAdditiveModelSpec): Uint8Array {
  if (spec.levelTable.length !== PAIR_TABLE_SIZE || spec.slopeTable.length !== PAIR_TABLE_SIZE)
    throw new Error(`level and slope tables must have ${PAIR_TABLE_SIZE} entries`);
  const K = spec.knots.length;
  const gather = (table: string, index: string, out: string): TNode => ({
    opType: 'Gather',
    inputs: [table, index],
    outputs: [out],
    attributes: [{ name: 'axis', int: 0 }],
  });
  const op = (opType: string, inputs: string[], out: string): TNode => ({
    opType,
    inputs,
    outputs: [out],
  });
  const f32 = (name: string, values: ArrayLike<number>, dims = [values.length]): TTensor => ({
    name,
    type: 'float',
    dims,
    values: Float32Array.from(values),
  });
  const inputs: TValueInfo[] = [
    { name: ADDITIVE_INPUTS.pairIndex, type: 'int32', shape: ['N'] },
    { name: ADDITIVE_INPUTS.tripDistance, type: 'float', shape: ['N'] },
  ];
  const initializers: TTensor[] = [
    f32('level_table', spec.levelTable),
    f32('slope_table', spec.slopeTable),
    f32('clip_min', [0], []),
    f32('clip_max', [spec.distanceClip], []),
    f32('knots', spec.knots, [1, K]),
    f32('hinge_weights', spec.hingeWeights),
    f32('zero', [0], []),
    f32('zero_distance_level', [spec.zeroDistanceLevel], []),
    f32('slope_floor', [spec.rowSlopeFloor], []),
    { name: 'axis_1', type: 'int64', dims: [1], values: [1] },
  ];
  const nodes: TNode[] = [
    op('Clip', [ADDITIVE_INPUTS.tripDistance, 'clip_min', 'clip_max'], 'd'),
    gather('level_table', ADDITIVE_INPUTS.pairIndex, 'pair_level'),
    gather('slope_table', ADDITIVE_INPUTS.pairIndex, 'pair_slope'),
    op('Unsqueeze', ['d', 'axis_1'], 'd_col'),
    op('Sub', ['d_col', 'knots'], 'past_knot'),
    op('Relu', ['past_knot'], 'hinges'),
    op('MatMul', ['hinges', 'hinge_weights'], 'curve'),
    op('Equal', ['d', 'zero'], 'is_zero'),
    op('Where', ['is_zero', 'zero_distance_level', 'zero'], 'zero_part'),
  ];
  let slope = 'pair_slope';
  let level = 'pair_level';
  if (spec.time) {
    const t = spec.time;
    inputs.push({ name: ADDITIVE_INPUTS.hourOfWeek, type: 'int32', shape: ['N'] });
    initializers.push(
      f32('hour_level', t.hourLevel),
      f32('hour_slope', t.hourSlope),
      f32('band_level', t.bandLevel),
      {
        name: 'pair_band_base',
        type: 'int32',
        dims: [t.pairBandBase.length],
        values: t.pairBandBase,
      },
      { name: 'hour_band', type: 'int32', dims: [t.hourBand.length], values: t.hourBand },
    );
    nodes.push(
      gather('hour_level', ADDITIVE_INPUTS.hourOfWeek, 'h_level'),
      gather('hour_slope', ADDITIVE_INPUTS.hourOfWeek, 'h_slope'),
      gather('pair_band_base', ADDITIVE_INPUTS.pairIndex, 'band_base'),
      gather('hour_band', ADDITIVE_INPUTS.hourOfWeek, 'band_offset'),
      op('Add', ['band_base', 'band_offset'], 'band_index'),
      gather('band_level', 'band_index', 'b_level'),
      op('Add', ['pair_slope', 'h_slope'], 'slope_sum'),
      op('Add', ['pair_level', 'h_level'], 'level_ph'),
      op('Add', ['level_ph', 'b_level'], 'level_sum'),
    );
    slope = 'slope_sum';
    level = 'level_sum';
  }
  nodes.push(
    op('Max', [slope, 'slope_floor'], 'slope'),
    op('Mul', ['d', 'slope'], 'slope_part'),
    op('Add', [level, 'slope_part'], 'linear'),
    op('Add', ['linear', 'curve'], 'with_curve'),
    op('Add', ['with_curve', 'zero_part'], ADDITIVE_INPUTS.output),
  );
  return encodeOnnxModel({
    name: 'tripcast_additive_zones',
    docString:
      'duration (minutes) = level[pair] + d*max(slope[pair] (+ hour slope), floor) + hinge curve(d) + zero-distance level [+ hour-of-week and borough-pair x 3-hour band levels], d = clip(trip_distance, 0, clip)',
    metadata: spec.metadata,
    inputs,
    outputs: [{ name: ADDITIVE_INPUTS.output, type: 'float', shape: ['N'] }],
    initializers,
    nodes,
  });
}

/** The card's input mapping for a model built by buildAdditiveModel. */
export function additiveCardIo(useTime: boolean): Pick<TModelCard, 'inputs' | 'output'> {
  return {
    inputs: [
      { name: ADDITIVE_INPUTS.pairIndex, feature: 'pair_index', type: 'int32', isColumn: false },
      {
        name: ADDITIVE_INPUTS.tripDistance,
        feature: 'trip_distance',
        type: 'float32',
        isColumn: false,
      },
      ...(useTime
        ? [
            {
              name: ADDITIVE_INPUTS.hourOfWeek,
              feature: 'hour_of_week' as const,
              type: 'int32' as const,
              isColumn: false,
            },
          ]
        : []),
    ],
    output: { name: ADDITIVE_INPUTS.output, unit: 'minutes' },
  };
}
