// Summary statistics of a run, accumulated chunk by chunk in bounded memory. The error figures
// are production's own (@tripcast/model/quality's createErrorMetrics, also stored per model in
// batch_run_model_metrics): summed once, not again here.
// Quantiles come from a fine fixed-width histogram (0.01 min up to 600 min), so a 3M-row month
// costs 240 kB whatever its size, and the figures are deterministic (same input, same summary).
import type { TErrorMetrics } from '@tripcast/model/quality';

const QUANTILE_BIN_MINUTES = 0.01;
const QUANTILE_MAX_MINUTES = 600;
const QUANTILE_BINS = QUANTILE_MAX_MINUTES / QUANTILE_BIN_MINUTES;

/** Display histogram of predicted minutes: 5-minute buckets up to 60, then one open bucket. */
const DISPLAY_BUCKET_MINUTES = 5;
const DISPLAY_BUCKET_LIMIT = 60;

export type THistogramBucket = { from: number; to: number | null; count: number };
export type TErrorSummary = { count: number; rmse: number | null; mae: number | null };

export type TRunSummary = {
  predicted: {
    count: number;
    mean: number | null;
    min: number | null;
    max: number | null;
    p50: number | null;
    p95: number | null;
  };
  histogram: THistogramBucket[];
  /** Against the actual duration of every scored trip whose duration is known. */
  error: TErrorSummary;
  /** Against trips of 1..60 minutes only: the course's evaluation filter (its RMSE 7.76 is on these). */
  errorCourseRange: TErrorSummary;
  rejectsByReason: Record<string, number>;
};

export type TSummaryAccumulator = {
  addScored(predicted: Float32Array, count?: number): void;
  addRejects(reasonCounts: Record<string, number>): void;
  /**
   * `errors`: production's figures on the scored rows. A run scores trips of 1..60 minutes only
   * (the course's filter), so they are the course-range figures too.
   */
  summarize(errors: TErrorMetrics): TRunSummary;
};

export function createSummaryAccumulator(): TSummaryAccumulator {
  const quantileBins = new Uint32Array(QUANTILE_BINS + 1);
  const displayBuckets = new Float64Array(DISPLAY_BUCKET_LIMIT / DISPLAY_BUCKET_MINUTES + 1);
  const rejectsByReason: Record<string, number> = {};
  let count = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;

  return {
    addScored(predicted, n = predicted.length) {
      // Running figures in locals, written back once: a double kept in a closure variable is
      // boxed, so updating it per row allocates.
      let sumPredicted = 0;
      let lowest = min;
      let highest = max;
      for (let i = 0; i < n; i++) {
        const p = predicted[i]!;
        sumPredicted += p;
        if (p < lowest) lowest = p;
        if (p > highest) highest = p;
        const bin = p <= 0 ? 0 : Math.min(QUANTILE_BINS, Math.floor(p / QUANTILE_BIN_MINUTES));
        quantileBins[bin]!++;
        const bucket =
          p <= 0 ? 0 : Math.min(displayBuckets.length - 1, Math.floor(p / DISPLAY_BUCKET_MINUTES));
        displayBuckets[bucket]!++;
      }
      count += n;
      sum += sumPredicted;
      min = lowest;
      max = highest;
    },
    addRejects(reasonCounts) {
      for (const [reason, n] of Object.entries(reasonCounts)) {
        rejectsByReason[reason] = (rejectsByReason[reason] ?? 0) + n;
      }
    },
    summarize(errors) {
      const error = summarizeErrors(errors);
      return {
        predicted: {
          count,
          mean: count ? round(sum / count) : null,
          min: count ? round(min) : null,
          max: count ? round(max) : null,
          p50: quantileOf(quantileBins, count, 0.5),
          p95: quantileOf(quantileBins, count, 0.95),
        },
        histogram: Array.from(displayBuckets, (n, i) => ({
          from: i * DISPLAY_BUCKET_MINUTES,
          to: i === displayBuckets.length - 1 ? null : (i + 1) * DISPLAY_BUCKET_MINUTES,
          count: n,
        })),
        error,
        errorCourseRange: error,
        rejectsByReason: { ...rejectsByReason },
      };
    },
  };
}

/** The lower bound of the bin holding the q-th value (nearest-rank), to 0.01 minute. */
function quantileOf(bins: Uint32Array, count: number, q: number): number | null {
  if (count === 0) return null;
  const rank = Math.max(1, Math.ceil(q * count));
  let seen = 0;
  for (let i = 0; i < bins.length; i++) {
    seen += bins[i]!;
    if (seen >= rank) return round(i * QUANTILE_BIN_MINUTES);
  }
  return QUANTILE_MAX_MINUTES;
}

function summarizeErrors(errors: TErrorMetrics): TErrorSummary {
  if (errors.rows === 0 || errors.rmse === null || errors.mae === null)
    return { count: 0, rmse: null, mae: null };
  return { count: errors.rows, rmse: round(errors.rmse), mae: round(errors.mae) };
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}
