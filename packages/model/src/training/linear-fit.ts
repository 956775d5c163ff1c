import { PAIR_TABLE_SIZE } from '../onnx/linear-pair-model';
import { lsqr } from './lsqr';

/**
 * Sufficient statistics of the course's model, one slot per PU_DO pair (index PU*266+DO):
 * count, means of distance and duration, and the within-pair co-moments. Updated with Welford's
 * online formulas so one streaming pass is numerically stable (real files have 10^5-mile distances).
 */
export type TPairStats = {
  count: Float64Array;
  meanDistance: Float64Array;
  meanDuration: Float64Array;
  /** Σ (d - d̄_g)^2 within the pair */
  m2Distance: Float64Array;
  /** Σ (d - d̄_g)(y - ȳ_g) within the pair */
  coMoment: Float64Array;
  /** Σ (y - ȳ_g)^2 within the pair (gives the training RMSE without a second pass) */
  m2Duration: Float64Array;
};

export function createPairStats(): TPairStats {
  return {
    count: new Float64Array(PAIR_TABLE_SIZE),
    meanDistance: new Float64Array(PAIR_TABLE_SIZE),
    meanDuration: new Float64Array(PAIR_TABLE_SIZE),
    m2Distance: new Float64Array(PAIR_TABLE_SIZE),
    coMoment: new Float64Array(PAIR_TABLE_SIZE),
    m2Duration: new Float64Array(PAIR_TABLE_SIZE),
  };
}

export function addToPairStats(
  stats: TPairStats,
  pair: number,
  distance: number,
  duration: number,
): void {
  const n = ++stats.count[pair]!;
  const dx = distance - stats.meanDistance[pair]!;
  const dy = duration - stats.meanDuration[pair]!;
  const meanDistance = (stats.meanDistance[pair]! += dx / n);
  const meanDuration = (stats.meanDuration[pair]! += dy / n);
  stats.m2Distance[pair]! += dx * (distance - meanDistance);
  stats.coMoment[pair]! += dx * (duration - meanDuration);
  stats.m2Duration[pair]! += dy * (duration - meanDuration);
}

export type TLinearFit = {
  /** Coefficient of each pair's one-hot column; 0 for pairs never seen (they contribute nothing). */
  pairCoefficients: Float64Array;
  distanceCoefficient: number;
  intercept: number;
  pairsSeen: number;
  rows: number;
  /** RMSE on the training rows, from the pair statistics: Σ_g [Syy - 2b·Sdy + b²·Sdd] / n. */
  trainRmse: number;
};

/**
 * Exact least squares for y ~ onehot(PU_DO) + trip_distance with an intercept, reproducing
 * scikit-learn's LinearRegression(fit_intercept=True) on DictVectorizer features.
 *
 * With one-hot groups plus one numeric column the normal equations separate:
 *   b   = Σ_g Σ_i∈g (d - d̄_g)(y - ȳ_g) / Σ_g Σ_i∈g (d - d̄_g)^2   (the within-pair slope)
 *   α_g = ȳ_g - b·d̄_g                                              (each pair's fitted level)
 * Fitted values are α_g + b·d, but the coefficients are not unique: sklearn centres X and y, and
 * the centred one-hot block has the null space (1,...,1) over seen pairs (the columns sum to the
 * constant, which centring removes). sklearn's solver returns the MINIMUM-NORM solution, i.e. the
 * one orthogonal to that null space: Σ_g β_g = 0, so β_g = α_g - mean_g(α) with an UNWEIGHTED mean
 * over seen pairs. Its intercept = mean(y) - mean(X)·coef then equals exactly that mean_g(α).
 * An unseen pair (an all-zero one-hot row) is predicted as intercept + b·d.
 */
export function solveLinearFit(stats: TPairStats): TLinearFit {
  let rows = 0;
  let within = 0;
  let cross = 0;
  let withinDuration = 0;
  let pairsSeen = 0;
  for (let g = 0; g < PAIR_TABLE_SIZE; g++) {
    const n = stats.count[g]!;
    if (n === 0) continue;
    pairsSeen++;
    rows += n;
    within += stats.m2Distance[g]!;
    cross += stats.coMoment[g]!;
    withinDuration += stats.m2Duration[g]!;
  }
  if (rows === 0)
    throw new Error('no training rows: nothing passed the course filter (1 <= duration <= 60 min)');
  // within = 0 means distance is constant inside every pair: it is then in the span of the one-hot
  // columns, and the minimum-norm solution puts no weight on it beyond what the pairs carry.
  const distanceCoefficient = within > 0 ? cross / within : 0;

  const levels = new Float64Array(PAIR_TABLE_SIZE);
  let levelSum = 0;
  for (let g = 0; g < PAIR_TABLE_SIZE; g++) {
    if (stats.count[g] === 0) continue;
    levels[g] = stats.meanDuration[g]! - distanceCoefficient * stats.meanDistance[g]!;
    levelSum += levels[g]!;
  }
  const intercept = levelSum / pairsSeen;
  const pairCoefficients = new Float64Array(PAIR_TABLE_SIZE);
  for (let g = 0; g < PAIR_TABLE_SIZE; g++)
    if (stats.count[g]! > 0) pairCoefficients[g] = levels[g]! - intercept;
  const sse = withinDuration - 2 * distanceCoefficient * cross + distanceCoefficient ** 2 * within;
  const trainRmse = Math.sqrt(Math.max(0, sse) / rows);
  return { pairCoefficients, distanceCoefficient, intercept, pairsSeen, rows, trainRmse };
}

/** The fitted model in float64 (reference for metrics and for checking the ONNX export). */
export function predictLinearFit(fit: TLinearFit, pair: number, distance: number): number {
  return fit.intercept + fit.pairCoefficients[pair]! + fit.distanceCoefficient * distance;
}

/**
 * The fit scikit-learn actually returns for the course's sparse DictVectorizer matrix:
 * LinearRegression centres y, wraps X in a centring LinearOperator and calls SciPy's lsqr with its
 * default tolerances (atol = btol = 1e-6), then sets intercept = mean(y) - mean(X)·coef. On real
 * months the 10^5-mile distance outliers make that problem ill-conditioned and lsqr stops early
 * (27 iterations on green 2021-01), so its coefficients differ from the exact least-squares ones.
 *
 * Speed without changing the answer: LSQR's iterates depend on the problem only through the Gram
 * matrix of [b, A]. Each pair's rows are c_g + δ_i·e_d (δ_i = d_i - d̄_g, Σδ_i = 0), which span two
 * orthonormal directions (1/√n_g and δ/‖δ‖), so the pair's block compresses exactly to two rows
 * (√n_g·c_g and ‖δ‖·e_d) with right-hand sides √n_g(ȳ_g - ȳ) and Σδ(y - ȳ_g)/‖δ‖. One extra
 * all-zero row carries the rest of ‖b‖². The compressed problem has the same Gram matrix, hence
 * the same iterates, stopping test and solution, with ~2 rows per pair instead of one per trip.
 */
export function solveSklearnLsqrFit(
  stats: TPairStats,
  tolerance = 1e-6,
): TLinearFit & { iterations: number } {
  const pairOfColumn: number[] = [];
  let n = 0;
  for (let g = 0; g < PAIR_TABLE_SIZE; g++) {
    if (stats.count[g]! > 0) {
      pairOfColumn.push(g);
      n += stats.count[g]!;
    }
  }
  if (n === 0)
    throw new Error('no training rows: nothing passed the course filter (1 <= duration <= 60 min)');
  const groups = pairOfColumn.length;
  const D = groups; // column of trip_distance (DictVectorizer sorts it after the PU_DO=... columns)
  const xMean = new Float64Array(groups + 1);
  let yMean = 0;
  for (let j = 0; j < groups; j++) {
    const g = pairOfColumn[j]!;
    const count = stats.count[g]!;
    xMean[j] = count / n;
    xMean[D]! += (count * stats.meanDistance[g]!) / n;
    yMean += (count * stats.meanDuration[g]!) / n;
  }
  // Compressed rows: level row j (weight √n_g, distance d̄_g) and spread row j (‖δ‖ on column D).
  const sqrtCount = new Float64Array(groups);
  const meanDistance = new Float64Array(groups);
  const spread = new Float64Array(groups);
  const b = new Float64Array(2 * groups + 1);
  let remainder = 0;
  for (let j = 0; j < groups; j++) {
    const g = pairOfColumn[j]!;
    sqrtCount[j] = Math.sqrt(stats.count[g]!);
    meanDistance[j] = stats.meanDistance[g]!;
    spread[j] = Math.sqrt(stats.m2Distance[g]!);
    b[j] = sqrtCount[j]! * (stats.meanDuration[g]! - yMean);
    b[groups + j] = spread[j]! > 0 ? stats.coMoment[g]! / spread[j]! : 0;
    remainder += stats.m2Duration[g]! - b[groups + j]! ** 2;
  }
  b[2 * groups] = Math.sqrt(Math.max(0, remainder));

  const result = lsqr(
    {
      rows: 2 * groups + 1,
      columns: groups + 1,
      matvec(x, out) {
        let offset = 0;
        for (let j = 0; j <= groups; j++) offset += x[j]! * xMean[j]!;
        const xd = x[D]!;
        for (let j = 0; j < groups; j++) {
          out[j] = sqrtCount[j]! * (x[j]! + meanDistance[j]! * xd - offset);
          out[groups + j] = spread[j]! * xd;
        }
        out[2 * groups] = 0;
      },
      rmatvec(r, out) {
        let weighted = 0;
        let distanceDot = 0;
        for (let j = 0; j < groups; j++) {
          const level = sqrtCount[j]! * r[j]!;
          out[j] = level;
          weighted += level;
          distanceDot += meanDistance[j]! * level + spread[j]! * r[groups + j]!;
        }
        out[D] = distanceDot;
        for (let j = 0; j <= groups; j++) out[j]! -= xMean[j]! * weighted;
      },
    },
    b,
    { atol: tolerance, btol: tolerance },
  );
  const coef = result.x;
  let meanXCoef = 0;
  for (let j = 0; j <= groups; j++) meanXCoef += xMean[j]! * coef[j]!;
  const intercept = yMean - meanXCoef;
  const pairCoefficients = new Float64Array(PAIR_TABLE_SIZE);
  for (let j = 0; j < groups; j++) pairCoefficients[pairOfColumn[j]!] = coef[j]!;
  const distanceCoefficient = coef[D]!;
  // Training SSE from the statistics: per pair, the level error plus the within-pair error.
  let sse = 0;
  for (let j = 0; j < groups; j++) {
    const g = pairOfColumn[j]!;
    const level =
      stats.meanDuration[g]! -
      (intercept + coef[j]! + distanceCoefficient * stats.meanDistance[g]!);
    sse +=
      stats.count[g]! * level ** 2 +
      stats.m2Duration[g]! -
      2 * distanceCoefficient * stats.coMoment[g]! +
      distanceCoefficient ** 2 * stats.m2Distance[g]!;
  }
  return {
    pairCoefficients,
    distanceCoefficient,
    intercept,
    pairsSeen: groups,
    rows: n,
    trainRmse: Math.sqrt(Math.max(0, sse) / n),
    iterations: result.iterations,
  };
}
