import type { TAdditiveModelSpec } from '../onnx/additive-model';
import { HOUR_OF_WEEK_SLOTS } from '../features';
import { PAIR_TABLE_SIZE, ZONE_SLOTS } from '../onnx/linear-pair-model';
import { COURSE_MIN_MINUTES } from '../trips/validate';
import { BOROUGH_PAIRS, boroughPairIndexOf } from '../zone-boroughs';

/**
 * The `zones` recipe: a ridge-regularised additive model whose every block is a lookup table, so
 * the exported ONNX graph is a handful of Gathers (see onnx/additive-model.ts).
 *
 *   minutes = μ + pair[PU_DO] + pu[PU] + do[DO] + bp[borough pair]
 *           + d·(puSlope[PU] + doSlope[DO] + bpSlope[borough pair])
 *           + Σ_k w_k·max(d - knot_k, 0)                       (knot 0 = 0: the global slope)
 *           + how[hour of week] + d·howSlope[hour of week]     (when the recipe uses pickup time)
 *
 * with d = trip_distance clipped to [0, distanceClip]. Each block has its own ridge penalty λ·‖β‖²,
 * so a pair seen a few times is shrunk towards what its zones and boroughs say, and a pair never
 * seen gets exactly that (its pair coefficient is 0). Fitted by block coordinate descent
 * (backfitting): a one-hot block's columns have disjoint support, so its exact block minimiser is
 * closed form (Σr / (n + λ) for levels, Σd·r / (Σd² + λ) for slopes); the hinge block is a small
 * dense solve. Each sweep lowers the convex objective, so the fit converges to the unique ridge
 * solution, deterministically (same rows in the same order = same bits).
 */
export type TAdditiveParams = {
  /** Use the pickup hour of week (level and distance slope per hour). */
  useTime: boolean;
  distanceClip: number;
  /** Hinge knots in miles (a knot at 0 = the global linear slope is always added). */
  knots: number[];
  lambdaPair: number;
  lambdaZone: number;
  lambdaBoroughPair: number;
  lambdaZoneSlope: number;
  lambdaBoroughPairSlope: number;
  lambdaHour: number;
  /** Level per borough pair and 3-hour band of the week. */
  lambdaBoroughPairBand: number;
  lambdaHourSlope: number;
  sweeps: number;
  /** Floor on d(minutes)/d(miles) anywhere below the clip: predictions grow with distance. */
  minSlope: number;
};

export const DEFAULT_ADDITIVE_PARAMS: TAdditiveParams = {
  useTime: true,
  distanceClip: 60,
  // No knot past 12 mi: the 60-min filter censors long trips and flattens the curve there.
  knots: [0.5, 1, 2, 3, 5, 8, 12],
  lambdaPair: 3,
  lambdaZone: 20,
  lambdaBoroughPair: 20,
  lambdaZoneSlope: 2000,
  lambdaBoroughPairSlope: 2000,
  lambdaHour: 5,
  lambdaBoroughPairBand: 20,
  lambdaHourSlope: 1000,
  sweeps: 12,
  minSlope: 0.2,
};

/** 3-hour bands of the week (56) plus one for "time unknown". */
export const TIME_BANDS = 57;
export function timeBandOf(hourOfWeek: number): number {
  return Math.floor(hourOfWeek / 3);
}

/** Training rows in columns (grown while streaming the months). */
export type TAdditiveRows = {
  length: number;
  pu: Uint16Array;
  do: Uint16Array;
  distance: Float32Array;
  hourOfWeek: Uint8Array;
  duration: Float32Array;
};

export function createAdditiveRows(capacity = 1 << 16) {
  let rows: TAdditiveRows = {
    length: 0,
    pu: new Uint16Array(capacity),
    do: new Uint16Array(capacity),
    distance: new Float32Array(capacity),
    hourOfWeek: new Uint8Array(capacity),
    duration: new Float32Array(capacity),
  };
  const grow = () => {
    const size = rows.pu.length * 2;
    const copy = <T extends Uint16Array | Float32Array | Uint8Array>(
      a: T,
      make: new (n: number) => T,
    ) => {
      const out = new make(size);
      out.set(a);
      return out;
    };
    rows = {
      length: rows.length,
      pu: copy(rows.pu, Uint16Array),
      do: copy(rows.do, Uint16Array),
      distance: copy(rows.distance, Float32Array),
      hourOfWeek: copy(rows.hourOfWeek, Uint8Array),
      duration: copy(rows.duration, Float32Array),
    };
  };
  return {
    add(pu: number, dropoff: number, distance: number, hourOfWeek: number, duration: number) {
      if (rows.length === rows.pu.length) grow();
      const i = rows.length++;
      rows.pu[i] = pu;
      rows.do[i] = dropoff;
      rows.distance[i] = distance;
      rows.hourOfWeek[i] = hourOfWeek;
      rows.duration[i] = duration;
    },
    rows: () => rows,
  };
}

/** The fitted model folded into the tables the ONNX graph gathers from. */
export type TAdditiveFit = {
  params: TAdditiveParams;
  /** μ + pair + pu + do + bp, per pair index PU*266+DO (slot 0 = unknown zone). */
  levelTable: Float64Array;
  /** puSlope + doSlope + bpSlope, per pair index. */
  slopeTable: Float64Array;
  /** Knots with 0 first, and their weights. */
  knots: number[];
  hingeWeights: number[];
  /** Added when trip_distance is 0 (or unknown): a meter that recorded nothing, not a short trip. */
  zeroDistanceLevel: number;
  /** Per hour of week (slot 168 = pickup time unknown: 0). Zero when the recipe ignores time. */
  hourLevel: Float64Array;
  hourSlope: Float64Array;
  /** Per borough pair * 57 + 3-hour band (band 56 = time unknown: 0). */
  bandLevel: Float64Array;
  pairsSeen: number;
  /** 1 for each pair index seen in training. */
  pairSeen: Uint8Array;
  rows: number;
  trainRmse: number;
  /** Floor on a row's slope (pair + hour) that keeps every segment's slope >= minSlope. */
  rowSlopeFloor: number;
  /** Floor on every prediction: the shortest trip the course filter trains on. */
  minDuration: number;
};

export function clipDistance(distance: number, clip: number): number {
  // NaN (unknown distance) counts as 0 miles.
  return distance > 0 ? (distance < clip ? distance : clip) : 0;
}

/** Solve the small symmetric positive definite system A x = b (Gaussian elimination). */
function solveDense(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const m = Float64Array.from(a);
  const x = Float64Array.from(b);
  for (let c = 0; c < n; c++) {
    const pivot = m[c * n + c]!;
    for (let r = c + 1; r < n; r++) {
      const f = m[r * n + c]! / pivot;
      for (let k = c; k < n; k++) m[r * n + k]! -= f * m[c * n + k]!;
      x[r]! -= f * x[c]!;
    }
  }
  for (let r = n - 1; r >= 0; r--) {
    let s = x[r]!;
    for (let k = r + 1; k < n; k++) s -= m[r * n + k]! * x[k]!;
    x[r] = s / m[r * n + r]!;
  }
  return x;
}

export function fitAdditiveModel(rows: TAdditiveRows, params: TAdditiveParams): TAdditiveFit {
  const n = rows.length;
  if (n === 0) throw new Error('fitAdditiveModel: no training rows');
  const knots = [0, ...params.knots];
  const K = knots.length;
  const d = new Float64Array(n);
  const y = rows.duration;
  const pair = new Int32Array(n);
  const bp = new Int32Array(n);
  const how = Int32Array.from(rows.hourOfWeek);
  const puIndex = Int32Array.from(rows.pu);
  const doIndex = Int32Array.from(rows.do);
  for (let i = 0; i < n; i++) {
    d[i] = clipDistance(rows.distance[i]!, params.distanceClip);
    pair[i] = rows.pu[i]! * ZONE_SLOTS + rows.do[i]!;
    bp[i] = boroughPairIndexOf(rows.pu[i]!, rows.do[i]!);
  }
  const hinge = (i: number, k: number) => {
    const v = d[i]! - knots[k]!;
    return v > 0 ? v : 0;
  };

  // Blocks: [index per row, slots, uses d as the column value, λ].
  type TBlock = {
    index: ArrayLike<number>;
    slots: number;
    slope: boolean;
    lambda: number;
    coef: Float64Array;
  };
  const block = (
    index: ArrayLike<number>,
    slots: number,
    slope: boolean,
    lambda: number,
  ): TBlock => ({
    index,
    slots,
    slope,
    lambda,
    coef: new Float64Array(slots),
  });
  const bPu = block(puIndex, ZONE_SLOTS, false, params.lambdaZone);
  const bDo = block(doIndex, ZONE_SLOTS, false, params.lambdaZone);
  const bBp = block(bp, BOROUGH_PAIRS, false, params.lambdaBoroughPair);
  const bPair = block(pair, PAIR_TABLE_SIZE, false, params.lambdaPair);
  const sPu = block(puIndex, ZONE_SLOTS, true, params.lambdaZoneSlope);
  const sDo = block(doIndex, ZONE_SLOTS, true, params.lambdaZoneSlope);
  const sBp = block(bp, BOROUGH_PAIRS, true, params.lambdaBoroughPairSlope);
  const blocks = [bBp, bPu, bDo, bPair, sBp, sPu, sDo];
  const bandIndex = new Int32Array(n);
  for (let i = 0; i < n; i++) bandIndex[i] = bp[i]! * TIME_BANDS + timeBandOf(how[i]!);
  const bBand = block(bandIndex, BOROUGH_PAIRS * TIME_BANDS, false, params.lambdaBoroughPairBand);
  if (params.useTime) {
    blocks.push(bBand);
    blocks.push(block(how, HOUR_OF_WEEK_SLOTS, false, params.lambdaHour));
    blocks.push(block(how, HOUR_OF_WEEK_SLOTS, true, params.lambdaHourSlope));
  }

  // Denominators of each block's closed-form update (they never change).
  const denominators = blocks.map((b) => {
    const den = new Float64Array(b.slots);
    for (let i = 0; i < n; i++) den[b.index[i]!]! += b.slope ? d[i]! * d[i]! : 1;
    for (let s = 0; s < b.slots; s++) den[s]! += b.lambda;
    return den;
  });

  // Intercept + hinges: unpenalised dense block [1, relu(d - knot_k)...] (a tiny ridge for safety).
  // Last column: the meter recorded no distance (d = 0): those trips are not short ones.
  const D = K + 2;
  const gram = new Float64Array(D * D);
  const basis = new Float64Array(D);
  const fillBasis = (i: number) => {
    basis[0] = 1;
    for (let k = 0; k < K; k++) basis[k + 1] = hinge(i, k);
    basis[K + 1] = d[i] === 0 ? 1 : 0;
  };
  for (let i = 0; i < n; i++) {
    fillBasis(i);
    for (let a = 0; a < D; a++)
      for (let b = 0; b < D; b++) gram[a * D + b]! += basis[a]! * basis[b]!;
  }
  for (let a = 0; a < D; a++) gram[a * D + a]! += 1e-6;
  let dense: Float64Array = new Float64Array(D);

  // residual = y - current prediction
  // residual = y - current prediction. Passes are fused: each pass over the rows applies the
  // previous block's change to the residual and accumulates the next block's sums (one pass per
  // block and sweep), since a 3M-row month must train in seconds.
  const residual = Float64Array.from(y);
  const ones = new Float64Array(n).fill(1);
  const xs = blocks.map((b) => (b.slope ? d : ones));
  const deltas = blocks.map((b) => new Float64Array(b.slots));
  const sums = new Float64Array(PAIR_TABLE_SIZE);
  const rhs = new Float64Array(D);
  const denseDelta = new Float64Array(D);
  let pending = -1; // block whose delta is not yet in the residual (-1: none)
  const applyPending = (i: number): number => {
    if (pending < 0) return residual[i]!;
    const r = residual[i]! - deltas[pending]![blocks[pending]!.index[i]!]! * xs[pending]![i]!;
    residual[i] = r;
    return r;
  };
  for (let sweep = 0; sweep < params.sweeps; sweep++) {
    // Dense block (intercept, hinges, zero flag): the partial residual's projection on the basis.
    rhs.fill(0);
    for (let i = 0; i < n; i++) {
      const r0 = applyPending(i);
      fillBasis(i);
      let f = 0;
      for (let a = 0; a < D; a++) f += basis[a]! * dense[a]!;
      const r = r0 + f;
      for (let a = 0; a < D; a++) rhs[a]! += basis[a]! * r;
    }
    pending = -1;
    const next = solveDense(gram, rhs, D);
    // The curve may flatten but never turn down (the 60-min filter censors long trips, and a few
    // near-zero distances with long durations would otherwise bend its start): project each
    // segment's slope to >= 0, so the graph's per-row floor (below) stays near minSlope.
    let fitted = 0;
    let kept = 0;
    for (let k = 0; k < K; k++) {
      fitted += next[k + 1]!;
      const slope = Math.max(fitted, 0);
      next[k + 1] = slope - kept;
      kept = slope;
    }
    for (let a = 0; a < D; a++) denseDelta[a] = next[a]! - dense[a]!;
    dense = next;

    for (let bi = 0; bi < blocks.length; bi++) {
      const b = blocks[bi]!;
      const den = denominators[bi]!;
      const acc = sums.subarray(0, b.slots).fill(0);
      const { index, coef } = b;
      const x = xs[bi]!;
      if (bi === 0) {
        for (let i = 0; i < n; i++) {
          fillBasis(i);
          let change = 0;
          for (let a = 0; a < D; a++) change += basis[a]! * denseDelta[a]!;
          const r = residual[i]! - change;
          residual[i] = r;
          acc[index[i]!]! += r * x[i]!;
        }
      } else {
        const prevDelta = deltas[bi - 1]!;
        const prevIndex = blocks[bi - 1]!.index;
        const prevX = xs[bi - 1]!;
        for (let i = 0; i < n; i++) {
          const r = residual[i]! - prevDelta[prevIndex[i]!]! * prevX[i]!;
          residual[i] = r;
          acc[index[i]!]! += r * x[i]!;
        }
      }
      // Exact block minimiser: (Σ x·r_partial) / (Σ x² + λ), r_partial = r + coef·x.
      const delta = deltas[bi]!;
      for (let s = 0; s < b.slots; s++) {
        const raw = den[s]! - b.lambda;
        const value = raw > 0 ? (acc[s]! + raw * coef[s]!) / den[s]! : 0;
        delta[s] = value - coef[s]!;
        coef[s] = value;
      }
      pending = bi;
    }
  }
  for (let i = 0; i < n; i++) applyPending(i);

  // Fold the blocks into the exported tables.
  const levelTable = new Float64Array(PAIR_TABLE_SIZE);
  const slopeTable = new Float64Array(PAIR_TABLE_SIZE);
  let pairsSeen = 0;
  const pairSeen = new Uint8Array(PAIR_TABLE_SIZE);
  const pairCount = denominators[blocks.indexOf(bPair)]!;
  for (let pu = 0; pu < ZONE_SLOTS; pu++) {
    for (let dz = 0; dz < ZONE_SLOTS; dz++) {
      const p = pu * ZONE_SLOTS + dz;
      const bpi = boroughPairIndexOf(pu, dz);
      levelTable[p] = dense[0]! + bPair.coef[p]! + bPu.coef[pu]! + bDo.coef[dz]! + bBp.coef[bpi]!;
      slopeTable[p] = sPu.coef[pu]! + sDo.coef[dz]! + sBp.coef[bpi]!;
      if (pairCount[p]! > params.lambdaPair) {
        pairsSeen++;
        pairSeen[p] = 1;
      }
    }
  }
  const bandLevel = new Float64Array(BOROUGH_PAIRS * TIME_BANDS);
  if (params.useTime) bandLevel.set(bBand.coef);
  const hourLevel = new Float64Array(HOUR_OF_WEEK_SLOTS);
  const hourSlope = new Float64Array(HOUR_OF_WEEK_SLOTS);
  if (params.useTime) {
    hourLevel.set(blocks[blocks.length - 2]!.coef);
    hourSlope.set(blocks[blocks.length - 1]!.coef);
  }
  const hingeWeights = Array.from(dense.subarray(1, K + 1));
  const zeroDistanceLevel = dense[K + 1]!;

  // Monotone in distance: on every segment the slope is g_j + slopeTable[pair] + hourSlope[h], so
  // it stays >= minSlope when the row's own slope (pair + hour) is at least minSlope - min_j g_j.
  // The graph applies that floor per row (one Max), changing only the rare rows that need it.
  let gSum = 0;
  let gMin = Infinity;
  for (let k = 0; k < K; k++) {
    gSum += hingeWeights[k]!;
    if (knots[k]! < params.distanceClip) gMin = Math.min(gMin, gSum);
  }
  const rowSlopeFloor = params.minSlope - gMin;

  const fit: TAdditiveFit = {
    params,
    levelTable,
    slopeTable,
    knots,
    hingeWeights,
    zeroDistanceLevel,
    hourLevel,
    hourSlope,
    bandLevel,
    pairsSeen,
    pairSeen,
    rows: n,
    trainRmse: 0,
    rowSlopeFloor,
    minDuration: COURSE_MIN_MINUTES,
  };
  let sse = 0;
  for (let i = 0; i < n; i++) {
    const e = predictAdditive(fit, pair[i]!, rows.distance[i]!, how[i]!) - y[i]!;
    sse += e * e;
  }
  fit.trainRmse = Math.sqrt(sse / n);
  return fit;
}

/** float64 prediction from the folded tables (what the ONNX graph computes in float32). */
export function predictAdditive(
  fit: TAdditiveFit,
  pairIndex: number,
  distance: number,
  hourOfWeek: number,
): number {
  const d = clipDistance(distance, fit.params.distanceClip);
  let v = fit.levelTable[pairIndex]! + fit.hourLevel[hourOfWeek]!;
  if (d === 0) v += fit.zeroDistanceLevel;
  const bpi = boroughPairIndexOf(Math.floor(pairIndex / ZONE_SLOTS), pairIndex % ZONE_SLOTS);
  v += fit.bandLevel[bpi * TIME_BANDS + timeBandOf(hourOfWeek)]!;
  v += d * Math.max(fit.slopeTable[pairIndex]! + fit.hourSlope[hourOfWeek]!, fit.rowSlopeFloor);
  for (let k = 0; k < fit.knots.length; k++) {
    const h = d - fit.knots[k]!;
    if (h > 0) v += fit.hingeWeights[k]! * h;
  }
  return Math.max(v, fit.minDuration);
}

/** The tables buildAdditiveModel needs, from a fit. */
export function additiveModelSpec(fit: TAdditiveFit): TAdditiveModelSpec {
  const spec: TAdditiveModelSpec = {
    levelTable: fit.levelTable,
    slopeTable: fit.slopeTable,
    distanceClip: fit.params.distanceClip,
    knots: fit.knots,
    hingeWeights: fit.hingeWeights,
    zeroDistanceLevel: fit.zeroDistanceLevel,
    rowSlopeFloor: fit.rowSlopeFloor,
    minDuration: fit.minDuration,
  };
  if (!fit.params.useTime) return spec;
  const hourBand = new Int32Array(HOUR_OF_WEEK_SLOTS);
  for (let h = 0; h < HOUR_OF_WEEK_SLOTS; h++) hourBand[h] = timeBandOf(h);
  return {
    ...spec,
    time: {
      hourLevel: fit.hourLevel,
      hourSlope: fit.hourSlope,
      hourBand,
      bandLevel: fit.bandLevel,
      bands: TIME_BANDS,
    },
  };
}
