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
 *            + d·slope + curve(d) + (d == 0)·zeroLevel   (curve: see hingeCurveNodes)
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
    f32('zero', [0], []),
    f32('zero_distance_level', [spec.zeroDistanceLevel], []),
    f32('slope_floor', [spec.rowSlopeFloor], []),
  ];
  const nodes: TNode[] = [
    op('Clip', [ADDITIVE_INPUTS.tripDistance, 'clip_min', 'clip_max'], 'd'),
    gather('level_table', ADDITIVE_INPUTS.pairIndex, 'pair_level'),
    gather('slope_table', ADDITIVE_INPUTS.pairIndex, 'pair_slope'),
    ...hingeCurveNodes(spec, initializers, K),
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

/** Cells per mile of the hinge curve's lookup grid (knots on half miles: the default ones). */
const CURVE_CELLS_PER_MILE = 2;

/**
 * The hinge curve Σ w_k·max(d - knot_k, 0) as nodes producing `curve` from `d`.
 *
 * When every knot and the clip lie on the half-mile grid, the curve is linear inside each grid
 * cell, so it is exactly `A[cell] + B[cell]·d` with `cell = floor(2·d)`: three [N] Gathers-worth of
 * elementwise work. The general form (an [N, K] hinge matrix times the weights) is kept for other
 * knots; profiled with onnxruntime 1.30 at 1M rows, its MatMul alone took ~250 ms of a ~330 ms run
 * (a matrix-vector product over a [N, 7] matrix is not what its kernels are tuned for).
 */
function hingeCurveNodes(spec: TAdditiveModelSpec, initializers: TTensor[], K: number): TNode[] {
  const onGrid = (x: number) => Number.isInteger(x * CURVE_CELLS_PER_MILE);
  if (spec.knots.every(onGrid) && onGrid(spec.distanceClip)) {
    const cells = spec.distanceClip * CURVE_CELLS_PER_MILE + 1;
    const offset = new Float64Array(cells);
    const slope = new Float64Array(cells);
    for (let cell = 0; cell < cells; cell++) {
      const start = cell / CURVE_CELLS_PER_MILE;
      for (let k = 0; k < K; k++) {
        // A knot at or before the cell's start is active for every d in the cell.
        if (spec.knots[k]! <= start) {
          slope[cell] = slope[cell]! + spec.hingeWeights[k]!;
          offset[cell] = offset[cell]! - spec.hingeWeights[k]! * spec.knots[k]!;
        }
      }
    }
    initializers.push(
      { name: 'curve_offset', type: 'float', dims: [cells], values: Float32Array.from(offset) },
      { name: 'curve_slope', type: 'float', dims: [cells], values: Float32Array.from(slope) },
      { name: 'cells_per_mile', type: 'float', dims: [], values: [CURVE_CELLS_PER_MILE] },
    );
    return [
      { opType: 'Mul', inputs: ['d', 'cells_per_mile'], outputs: ['d_cells'] },
      { opType: 'Floor', inputs: ['d_cells'], outputs: ['cell_float'] },
      // 6 = TensorProto.INT32
      {
        opType: 'Cast',
        inputs: ['cell_float'],
        outputs: ['cell'],
        attributes: [{ name: 'to', int: 6 }],
      },
      {
        opType: 'Gather',
        inputs: ['curve_offset', 'cell'],
        outputs: ['c_offset'],
        attributes: [{ name: 'axis', int: 0 }],
      },
      {
        opType: 'Gather',
        inputs: ['curve_slope', 'cell'],
        outputs: ['c_slope'],
        attributes: [{ name: 'axis', int: 0 }],
      },
      { opType: 'Mul', inputs: ['d', 'c_slope'], outputs: ['c_linear'] },
      { opType: 'Add', inputs: ['c_offset', 'c_linear'], outputs: ['curve'] },
    ];
  }
  initializers.push(
    { name: 'knots', type: 'float', dims: [1, K], values: Float32Array.from(spec.knots) },
    {
      name: 'hinge_weights',
      type: 'float',
      dims: [K],
      values: Float32Array.from(spec.hingeWeights),
    },
    { name: 'axis_1', type: 'int64', dims: [1], values: [1] },
  );
  return [
    { opType: 'Unsqueeze', inputs: ['d', 'axis_1'], outputs: ['d_col'] },
    { opType: 'Sub', inputs: ['d_col', 'knots'], outputs: ['past_knot'] },
    { opType: 'Relu', inputs: ['past_knot'], outputs: ['hinges'] },
    { opType: 'MatMul', inputs: ['hinges', 'hinge_weights'], outputs: ['curve'] },
  ];
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
