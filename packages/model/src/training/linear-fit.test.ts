import { describe, expect, it } from 'vitest';

import { pairIndexOf } from '../features';
import { hasSharedData, sharedDataPath } from '../testing/shared-data';
import { readTripMonth } from '../trips/read';
import { durationMinutes, isCourseDuration } from '../trips/validate';
import {
  addToPairStats,
  createPairStats,
  predictLinearFit,
  solveLinearFit,
  solveSklearnLsqrFit,
} from './linear-fit';
import { lsqr } from './lsqr';

type TRows = { group: Int32Array; distance: Float64Array; duration: Float64Array };

/**
 * An independent reference: sklearn's problem solved literally. Centre X = [onehot(group), d]
 * and y, then run CGLS (conjugate gradients on the normal equations) from x = 0. CGLS iterates stay
 * in the row space of X, so it converges to the MINIMUM-NORM least-squares solution, the one
 * sklearn returns; intercept = mean(y) - mean(X)·coef. Nothing here shares code with solveLinearFit.
 */
function solveByCgls(rows: TRows, groupCount: number) {
  const n = rows.group.length;
  const p = new Float64Array(groupCount);
  for (let i = 0; i < n; i++) p[rows.group[i]!]! += 1 / n;
  let dMean = 0;
  let yMean = 0;
  for (let i = 0; i < n; i++) {
    dMean += rows.distance[i]! / n;
    yMean += rows.duration[i]! / n;
  }
  const dc = Float64Array.from(rows.distance, (d) => d - dMean);
  // Scaling the distance column changes no minimum-norm property (the null space lies in the
  // one-hot block only) and makes CGLS converge in a few hundred steps despite 10^5-mile outliers.
  const dScale = Math.sqrt(dc.reduce((s, v) => s + v * v, 0)) || 1;
  for (let i = 0; i < n; i++) dc[i]! /= dScale;
  const k = groupCount + 1;
  const apply = (x: Float64Array, out: Float64Array) => {
    let shift = 0;
    for (let g = 0; g < groupCount; g++) shift += p[g]! * x[g]!;
    for (let i = 0; i < n; i++) out[i] = x[rows.group[i]!]! - shift + dc[i]! * x[groupCount]!;
  };
  const applyT = (r: Float64Array, out: Float64Array) => {
    out.fill(0);
    let total = 0;
    for (let i = 0; i < n; i++) {
      out[rows.group[i]!]! += r[i]!;
      out[groupCount]! += dc[i]! * r[i]!;
      total += r[i]!;
    }
    for (let g = 0; g < groupCount; g++) out[g]! -= p[g]! * total;
  };
  const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, v, i) => s + v * b[i]!, 0);
  const x = new Float64Array(k);
  const r = Float64Array.from(rows.duration, (y) => y - yMean);
  const s = new Float64Array(k);
  applyT(r, s);
  const dir = Float64Array.from(s);
  const q = new Float64Array(n);
  let gamma = dot(s, s);
  const gamma0 = gamma;
  for (let iter = 0; iter < 20_000 && gamma > 1e-26 * gamma0; iter++) {
    apply(dir, q);
    const alpha = gamma / dot(q, q);
    for (let j = 0; j < k; j++) x[j]! += alpha * dir[j]!;
    for (let i = 0; i < n; i++) r[i]! -= alpha * q[i]!;
    applyT(r, s);
    const next = dot(s, s);
    for (let j = 0; j < k; j++) dir[j] = s[j]! + (next / gamma) * dir[j]!;
    gamma = next;
  }
  const coef = x.subarray(0, groupCount);
  const b = x[groupCount]! / dScale;
  let meanXCoef = dMean * b;
  for (let g = 0; g < groupCount; g++) meanXCoef += p[g]! * coef[g]!;
  return { coef, distanceCoefficient: b, intercept: yMean - meanXCoef };
}

function fitFromRows(rows: TRows, pairOf: (group: number) => number) {
  const stats = createPairStats();
  for (let i = 0; i < rows.group.length; i++)
    addToPairStats(stats, pairOf(rows.group[i]!), rows.distance[i]!, rows.duration[i]!);
  return solveLinearFit(stats);
}

function expectSameModel(rows: TRows, groupCount: number, pairOf: (group: number) => number) {
  const fit = fitFromRows(rows, pairOf);
  const reference = solveByCgls(rows, groupCount);
  expect(fit.pairsSeen).toBe(groupCount);
  expect(fit.distanceCoefficient).toBeCloseTo(reference.distanceCoefficient, 9);
  expect(fit.intercept).toBeCloseTo(reference.intercept, 7);
  let maxCoefError = 0;
  for (let g = 0; g < groupCount; g++) {
    maxCoefError = Math.max(
      maxCoefError,
      Math.abs(fit.pairCoefficients[pairOf(g)]! - reference.coef[g]!),
    );
  }
  expect(maxCoefError).toBeLessThan(1e-7);
  // An unseen pair is predicted from the intercept alone, as DictVectorizer's all-zero row does.
  const seen = new Set(Array.from({ length: groupCount }, (_, g) => pairOf(g)));
  const unseenPair = [pairIndexOf(265, 265), pairIndexOf(264, 1), pairIndexOf(1, 264)].find(
    (pair) => !seen.has(pair),
  )!;
  expect(predictLinearFit(fit, unseenPair, 3)).toBeCloseTo(
    reference.intercept + 3 * reference.distanceCoefficient,
    7,
  );
  return fit;
}

function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('solveLinearFit is the minimum-norm least-squares fit sklearn computes', () => {
  it('matches CGLS on skewed group sizes and singleton pairs', () => {
    const next = rng(42);
    const n = 4000;
    const groupCount = 600;
    const rows: TRows = {
      group: new Int32Array(n),
      distance: new Float64Array(n),
      duration: new Float64Array(n),
    };
    for (let i = 0; i < n; i++) {
      // Squared uniform: a few large groups and a long tail of one-trip pairs, like real months.
      const g = i < groupCount ? i : Math.floor(next() ** 2 * groupCount);
      rows.group[i] = g;
      rows.distance[i] = next() < 0.01 ? 5000 * next() : 0.2 + 15 * next();
      rows.duration[i] = 4 + (g % 17) + 2.5 * Math.min(rows.distance[i]!, 20) + 6 * (next() - 0.5);
    }
    const fit = expectSameModel(rows, groupCount, (g) => 1000 + g);
    // The intercept is the unweighted mean of the pair levels, NOT mean(y) - b·mean(d).
    let yMean = 0;
    let dMean = 0;
    for (let i = 0; i < n; i++) {
      yMean += rows.duration[i]! / n;
      dMean += rows.distance[i]! / n;
    }
    expect(Math.abs(fit.intercept - (yMean - fit.distanceCoefficient * dMean))).toBeGreaterThan(
      0.05,
    );
  });

  const greenFile = sharedDataPath('green_tripdata_2021-01.parquet');
  it.skipIf(!hasSharedData('green_tripdata_2021-01.parquet'))(
    `matches CGLS on the first 5,000 course-filtered rows of real green 2021-01 (${greenFile})`,
    async () => {
      const pairs: number[] = [];
      const distance: number[] = [];
      const duration: number[] = [];
      for await (const chunk of readTripMonth(greenFile, { chunkSize: 8192 })) {
        for (let i = 0; i < chunk.length && pairs.length < 5000; i++) {
          const minutes = durationMinutes(chunk.pickupMs[i]!, chunk.dropoffMs[i]!);
          if (!isCourseDuration(minutes)) continue;
          pairs.push(pairIndexOf(chunk.pu[i]!, chunk.do[i]!));
          distance.push(chunk.distance[i]!);
          duration.push(minutes);
        }
        if (pairs.length >= 5000) break;
      }
      const groupOfPair = new Map<number, number>();
      const pairOfGroup: number[] = [];
      const group = Int32Array.from(pairs, (pair) => {
        let g = groupOfPair.get(pair);
        if (g === undefined) {
          g = pairOfGroup.push(pair) - 1;
          groupOfPair.set(pair, g);
        }
        return g;
      });
      expectSameModel(
        { group, distance: Float64Array.from(distance), duration: Float64Array.from(duration) },
        pairOfGroup.length,
        (g) => pairOfGroup[g]!,
      );
    },
  );
});

/**
 * The literal sklearn computation over every row (no compression): LSQR on the n x (G+1) centred
 * operator. Slow, but the plainest statement of what LinearRegression does on sparse input.
 */
function solveLsqrOverRows(rows: TRows, groupCount: number, tolerance: number) {
  const n = rows.group.length;
  const xMean = new Float64Array(groupCount + 1);
  let yMean = 0;
  for (let i = 0; i < n; i++) {
    xMean[rows.group[i]!]! += 1 / n;
    xMean[groupCount]! += rows.distance[i]! / n;
    yMean += rows.duration[i]! / n;
  }
  const result = lsqr(
    {
      rows: n,
      columns: groupCount + 1,
      matvec(x, out) {
        let offset = 0;
        for (let j = 0; j <= groupCount; j++) offset += x[j]! * xMean[j]!;
        for (let i = 0; i < n; i++)
          out[i] = x[rows.group[i]!]! + rows.distance[i]! * x[groupCount]! - offset;
      },
      rmatvec(r, out) {
        out.fill(0);
        let total = 0;
        for (let i = 0; i < n; i++) {
          out[rows.group[i]!]! += r[i]!;
          out[groupCount]! += rows.distance[i]! * r[i]!;
          total += r[i]!;
        }
        for (let j = 0; j <= groupCount; j++) out[j]! -= xMean[j]! * total;
      },
    },
    Float64Array.from(rows.duration, (y) => y - yMean),
    { atol: tolerance, btol: tolerance },
  );
  let meanXCoef = 0;
  for (let j = 0; j <= groupCount; j++) meanXCoef += xMean[j]! * result.x[j]!;
  return { coef: result.x, intercept: yMean - meanXCoef, iterations: result.iterations };
}

function statsOf(rows: TRows, pairOf: (group: number) => number) {
  const stats = createPairStats();
  for (let i = 0; i < rows.group.length; i++)
    addToPairStats(stats, pairOf(rows.group[i]!), rows.distance[i]!, rows.duration[i]!);
  return stats;
}

function syntheticRows(seed: number, n: number, groupCount: number, outlierShare: number): TRows {
  const next = rng(seed);
  const rows: TRows = {
    group: new Int32Array(n),
    distance: new Float64Array(n),
    duration: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    const g = i < groupCount ? i : Math.floor(next() ** 2 * groupCount);
    rows.group[i] = g;
    rows.distance[i] = next() < outlierShare ? 1e5 * next() : 0.2 + 15 * next();
    rows.duration[i] = 4 + (g % 17) + 2.5 * Math.min(rows.distance[i]!, 20) + 6 * (next() - 0.5);
  }
  return rows;
}

describe('solveSklearnLsqrFit (what LinearRegression returns on sparse input)', () => {
  const groupCount = 400;
  const rows = syntheticRows(3, 5000, groupCount, 0.002);
  const pairOf = (g: number) => 2000 + g;

  it('equals LSQR over every row, iteration for iteration', () => {
    const fit = solveSklearnLsqrFit(statsOf(rows, pairOf));
    const reference = solveLsqrOverRows(rows, groupCount, 1e-6);
    expect(fit.iterations).toBe(reference.iterations);
    expect(fit.iterations).toBeLessThan(200); // stopped early: the regime the course ran in
    expect(fit.intercept).toBeCloseTo(reference.intercept, 6);
    expect(fit.distanceCoefficient).toBeCloseTo(reference.coef[groupCount]!, 9);
    for (let g = 0; g < groupCount; g++)
      expect(fit.pairCoefficients[pairOf(g)]).toBeCloseTo(reference.coef[g]!, 6);
  });

  it('converges to the exact minimum-norm fit when run to a tight tolerance', () => {
    const stats = statsOf(rows, pairOf);
    const tight = solveSklearnLsqrFit(stats, 1e-15);
    const exact = solveLinearFit(stats);
    expect(tight.intercept).toBeCloseTo(exact.intercept, 6);
    expect(tight.distanceCoefficient).toBeCloseTo(exact.distanceCoefficient, 9);
    expect(tight.trainRmse).toBeCloseTo(exact.trainRmse, 8);
    // ...while the default tolerance stops short of it, as sklearn does.
    expect(Math.abs(solveSklearnLsqrFit(stats).trainRmse - exact.trainRmse)).toBeGreaterThan(1e-4);
  });
});
