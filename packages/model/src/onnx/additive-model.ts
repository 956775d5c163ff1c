import { BOROUGH_PAIR_HOUR_SLOTS, HOUR_OF_WEEK_SLOTS } from '../features';
import type { TModelCard } from '../model-card';
import { BOROUGH_PAIRS } from '../zone-boroughs';
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
  /** Every prediction is raised to at least this many minutes (the shortest trip trained on). */
  minDuration: number;
  /** Time blocks; absent = the model ignores pickup time. */
  time?: {
    /** Per hour-of-week slot (HOUR_OF_WEEK_SLOTS, 168 = unknown). */
    hourLevel: Float64Array;
    hourSlope: Float64Array;
    /** Band of each hour-of-week slot. */
    hourBand: Int32Array;
    /** Level per borough pair (boroughPairIndexOf) and band: bandLevel[boroughPair * bands + band]. */
    bandLevel: Float64Array;
    bands: number;
  };
  metadata?: Record<string, string>;
};

export const ADDITIVE_INPUTS = {
  pairIndex: 'pair_index',
  tripDistance: 'trip_distance',
  boroughPairHour: 'borough_pair_hour_index',
  output: 'duration',
} as const;

/** The finest distance grid the curve table may use, and its largest size. */
const MAX_CELLS_PER_MILE = 1000;
const MAX_CURVE_CELLS = 1 << 16;

/**
 * The `zones` recipe's graph, standard ops only. Every table is read with a 1-D GatherElements:
 * in onnxruntime 1.30 (CPU) a Gather costs ~9 ns per row whatever the table (it divides and calls
 * memcpy per index) while a 1-D GatherElements is a plain indexed load, ~1.5 ns per row. The
 * per-term model is folded into one table per key and role, so there are three keys, each
 * computed once: the pair, the (borough pair, hour of week) and the distance cell.
 *
 *   d        = Clip(trip_distance, 0, clip)
 *   cell     = Clip(Cast(Ceil(d · m)), 0, cells - 1)          cell 0 = exactly 0 miles
 *   duration = Max(Sum(level[pair], timeLevel[bph], cellLevel[cell],
 *                      d · (Max(slope[pair] + timeSlope[bph], floor) + cellSlope[cell])),
 *                  minDuration)
 *
 * - pair = pair_index (PU*266+DO): μ + pair + PU + DO + borough-pair levels, and PU + DO +
 *   borough-pair slopes, summed per pair at export;
 * - bph = borough_pair_hour_index (borough pair * 169 + hour of week, from computeFeatures):
 *   timeLevel = hour-of-week level + the borough pair's 3-hour-band level, timeSlope = the
 *   hour's slope (8,281 entries each);
 * - the hinge curve Σ w_k·max(d - knot_k, 0) is linear between grid points when every knot
 *   inside (0, clip) lies on a 1/m-mile grid, so per cell it is cellLevel + cellSlope·d, with
 *   the zero-distance level in cell 0 (Ceil puts only d = 0 there). Other knots fall back to a
 *   [N, K] Relu + MatMul (several times slower) plus Equal/Where for the zero-distance level.
 * The Max keeps every segment's slope >= minSlope (see additive-fit.ts); it binds for about a
 * third of (pair, hour) combinations, so the pair and hour slopes stay separate lookups.
 * The outer Max keeps a prediction at or above the shortest trip trained on: a same-zone pair's
 * level can be far below the others' (green 2021-01's default model predicted down to -9 min for
 * short trips within zones 193 and 145). A NaN passes through it (onnxruntime's Max keeps NaN).
 * The int Clip keeps a NaN distance (Cast gives INT_MIN) from failing the whole call on an
 * out-of-range index: such a row comes out NaN.
 * 17 nodes with pickup time, 14 without (the course graph has 3); at batch 1 each node costs
 * about 0.25 µs and each input about 1 µs (onnxruntime-node 1.30, measured).
 */
export function buildAdditiveModel(spec: TAdditiveModelSpec): Uint8Array {
  if (spec.levelTable.length !== PAIR_TABLE_SIZE || spec.slopeTable.length !== PAIR_TABLE_SIZE)
    throw new Error(`level and slope tables must have ${PAIR_TABLE_SIZE} entries`);
  const lookup = (table: string, index: string, out: string): TNode => ({
    opType: 'GatherElements',
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
    f32('slope_floor', [spec.rowSlopeFloor], []),
    f32('min_duration', [spec.minDuration], []),
  ];
  const nodes: TNode[] = [
    op('Clip', [ADDITIVE_INPUTS.tripDistance, 'clip_min', 'clip_max'], 'd'),
    lookup('level_table', ADDITIVE_INPUTS.pairIndex, 'pair_level'),
    lookup('slope_table', ADDITIVE_INPUTS.pairIndex, 'pair_slope'),
  ];
  const levels = ['pair_level'];
  let rowSlope = 'pair_slope';
  if (spec.time) {
    const t = spec.time;
    if (
      t.hourLevel.length !== HOUR_OF_WEEK_SLOTS ||
      t.hourSlope.length !== HOUR_OF_WEEK_SLOTS ||
      t.hourBand.length !== HOUR_OF_WEEK_SLOTS ||
      t.bandLevel.length !== BOROUGH_PAIRS * t.bands ||
      t.hourBand.some((b) => b < 0 || b >= t.bands)
    )
      throw new Error('time tables: sizes or band indices do not match');
    // Both time blocks keyed by (borough pair, hour of week), the index computeFeatures gives.
    const level = new Float64Array(BOROUGH_PAIR_HOUR_SLOTS);
    const slope = new Float64Array(BOROUGH_PAIR_HOUR_SLOTS);
    for (let bp = 0; bp < BOROUGH_PAIRS; bp++)
      for (let h = 0; h < HOUR_OF_WEEK_SLOTS; h++) {
        const key = bp * HOUR_OF_WEEK_SLOTS + h;
        level[key] = t.hourLevel[h]! + t.bandLevel[bp * t.bands + t.hourBand[h]!]!;
        slope[key] = t.hourSlope[h]!;
      }
    inputs.push({ name: ADDITIVE_INPUTS.boroughPairHour, type: 'int32', shape: ['N'] });
    initializers.push(f32('time_level', level), f32('time_slope', slope));
    nodes.push(
      lookup('time_level', ADDITIVE_INPUTS.boroughPairHour, 'time_level_part'),
      lookup('time_slope', ADDITIVE_INPUTS.boroughPairHour, 'time_slope_part'),
      op('Add', ['pair_slope', 'time_slope_part'], 'pair_time_slope'),
    );
    levels.push('time_level_part');
    rowSlope = 'pair_time_slope';
  }
  nodes.push(op('Max', [rowSlope, 'slope_floor'], 'row_slope'));
  const curve = curveNodes(spec, initializers);
  nodes.push(...curve.nodes);
  levels.push(curve.level);
  let slope = 'row_slope';
  if (curve.slope) {
    nodes.push(op('Add', ['row_slope', curve.slope], 'slope'));
    slope = 'slope';
  }
  nodes.push(
    op('Mul', ['d', slope], 'slope_part'),
    op('Sum', [...levels, 'slope_part'], 'duration_sum'),
    op('Max', ['duration_sum', 'min_duration'], ADDITIVE_INPUTS.output),
  );
  return encodeOnnxModel({
    name: 'tripcast_additive_zones',
    docString:
      'duration (minutes) = max(level[pair] [+ level[borough pair, hour of week]] + curve level[cell(d)] + d*(max(slope[pair] [+ slope[hour of week]], floor) + curve slope[cell(d)]), min_duration), d = clip(trip_distance, 0, clip)',
    metadata: spec.metadata,
    inputs,
    outputs: [{ name: ADDITIVE_INPUTS.output, type: 'float', shape: ['N'] }],
    initializers,
    nodes,
  });
}

/** The hinge curve plus the zero-distance level as cell tables, when the knots allow a grid. */
export function curveCells(
  spec: Pick<TAdditiveModelSpec, 'distanceClip' | 'knots' | 'hingeWeights' | 'zeroDistanceLevel'>,
): { cellsPerMile: number; level: Float64Array; slope: Float64Array } | null {
  const inside = spec.knots.filter((k) => k > 0 && k < spec.distanceClip);
  const onGrid = (m: number) =>
    inside.every((k) => Math.abs(k * m - Math.round(k * m)) <= 1e-9 * Math.max(1, k * m));
  let m = 1;
  while (m <= MAX_CELLS_PER_MILE && !onGrid(m)) m++;
  // Ceil(d·m) in float32 may land one past the exact clip cell: one spare cell.
  const cells = Math.ceil(Math.fround(spec.distanceClip) * m) + 2;
  if (m > MAX_CELLS_PER_MILE || !(cells <= MAX_CURVE_CELLS)) return null;
  const level = new Float64Array(cells);
  const slope = new Float64Array(cells);
  // Cell 0 holds d = 0 only: the curve there (0 for knots >= 0) and the zero-distance level.
  level[0] = spec.zeroDistanceLevel;
  spec.knots.forEach((k, j) => {
    if (k < 0) level[0] = level[0]! - spec.hingeWeights[j]! * k;
  });
  for (let cell = 1; cell < cells; cell++) {
    // Cell c holds d in ((c-1)/m, c/m]: a knot is active there when it lies below the middle.
    const middle = (cell - 0.5) / m;
    spec.knots.forEach((k, j) => {
      if (k < middle) {
        slope[cell] = slope[cell]! + spec.hingeWeights[j]!;
        level[cell] = level[cell]! - spec.hingeWeights[j]! * k;
      }
    });
  }
  return { cellsPerMile: m, level, slope };
}

/**
 * Nodes producing the curve's level (zero-distance level included) and, on the grid, its slope
 * per row (multiplied by d together with the row's own slope).
 */
function curveNodes(
  spec: TAdditiveModelSpec,
  initializers: TTensor[],
): { nodes: TNode[]; level: string; slope?: string } {
  const grid = curveCells(spec);
  if (grid) {
    const cells = grid.level.length;
    initializers.push(
      { name: 'cells_per_mile', type: 'float', dims: [], values: [grid.cellsPerMile] },
      { name: 'cell_min', type: 'int32', dims: [], values: [0] },
      { name: 'cell_max', type: 'int32', dims: [], values: [cells - 1] },
      { name: 'cell_level', type: 'float', dims: [cells], values: Float32Array.from(grid.level) },
      { name: 'cell_slope', type: 'float', dims: [cells], values: Float32Array.from(grid.slope) },
    );
    const lookup = (table: string, out: string): TNode => ({
      opType: 'GatherElements',
      inputs: [table, 'cell'],
      outputs: [out],
      attributes: [{ name: 'axis', int: 0 }],
    });
    return {
      nodes: [
        { opType: 'Mul', inputs: ['d', 'cells_per_mile'], outputs: ['d_cells'] },
        { opType: 'Ceil', inputs: ['d_cells'], outputs: ['cell_float'] },
        // 6 = TensorProto.INT32
        {
          opType: 'Cast',
          inputs: ['cell_float'],
          outputs: ['cell_raw'],
          attributes: [{ name: 'to', int: 6 }],
        },
        { opType: 'Clip', inputs: ['cell_raw', 'cell_min', 'cell_max'], outputs: ['cell'] },
        lookup('cell_level', 'curve_level'),
        lookup('cell_slope', 'curve_slope'),
      ],
      level: 'curve_level',
      slope: 'curve_slope',
    };
  }
  const K = spec.knots.length;
  initializers.push(
    { name: 'knots', type: 'float', dims: [1, K], values: Float32Array.from(spec.knots) },
    {
      name: 'hinge_weights',
      type: 'float',
      dims: [K],
      values: Float32Array.from(spec.hingeWeights),
    },
    { name: 'axis_1', type: 'int64', dims: [1], values: [1] },
    { name: 'zero', type: 'float', dims: [], values: [0] },
    { name: 'zero_distance_level', type: 'float', dims: [], values: [spec.zeroDistanceLevel] },
  );
  return {
    nodes: [
      { opType: 'Unsqueeze', inputs: ['d', 'axis_1'], outputs: ['d_col'] },
      { opType: 'Sub', inputs: ['d_col', 'knots'], outputs: ['past_knot'] },
      { opType: 'Relu', inputs: ['past_knot'], outputs: ['hinges'] },
      { opType: 'MatMul', inputs: ['hinges', 'hinge_weights'], outputs: ['curve'] },
      { opType: 'Equal', inputs: ['d', 'zero'], outputs: ['is_zero'] },
      {
        opType: 'Where',
        inputs: ['is_zero', 'zero_distance_level', 'zero'],
        outputs: ['zero_part'],
      },
      { opType: 'Add', inputs: ['curve', 'zero_part'], outputs: ['curve_level'] },
    ],
    level: 'curve_level',
  };
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
              name: ADDITIVE_INPUTS.boroughPairHour,
              feature: 'borough_pair_hour_index' as const,
              type: 'int32' as const,
              isColumn: false,
            },
          ]
        : []),
    ],
    output: { name: ADDITIVE_INPUTS.output, unit: 'minutes' },
  };
}
