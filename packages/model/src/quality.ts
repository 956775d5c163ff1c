// Quality of predictions against actual durations, and agreement between two models' answers on
// the same rides: the figures a batch run stores per model (batch_run_model_metrics), the Models
// page compares and `models compare` prints. Accumulators take whole columns (no per-row calls
// from the caller) and keep a fixed, small amount of memory whatever the month's size.

/** A prediction more than this far from the actual duration counts as "off" (minutes). */
export const OFF_BY_MINUTES = 10;
/** Two models "disagree" on a ride when their answers are more than this apart (minutes). */
export const DISAGREE_MINUTES = 5;

export type TErrorMetrics = {
  /** Rows with a known actual duration. */
  rows: number;
  rmse: number | null;
  mae: number | null;
  /** Mean of predicted - actual: positive = the model overestimates. */
  bias: number | null;
  /** Share of rows predicted more than OFF_BY_MINUTES away from the actual duration. */
  shareOff10Minutes: number | null;
};

/** RMSE, MAE, bias and the share of rides more than 10 minutes off; NaN actuals are skipped. */
export function createErrorMetrics() {
  let rows = 0;
  let sse = 0;
  let sae = 0;
  let sum = 0;
  let off = 0;
  return {
    add(predicted: ArrayLike<number>, actual: ArrayLike<number>, count = predicted.length): void {
      // Sums in locals, written back once: a double kept in a closure variable is boxed, so
      // updating it per row allocates (a 3M-row run spent more in the GC than in the sums).
      let n = 0;
      let sumSquared = 0;
      let sumAbsolute = 0;
      let sumErrors = 0;
      let offRows = 0;
      for (let i = 0; i < count; i++) {
        const a = actual[i]!;
        if (Number.isNaN(a)) continue;
        const error = predicted[i]! - a;
        n++;
        sumSquared += error * error;
        sumAbsolute += error < 0 ? -error : error;
        sumErrors += error;
        if (error > OFF_BY_MINUTES || error < -OFF_BY_MINUTES) offRows++;
      }
      rows += n;
      sse += sumSquared;
      sae += sumAbsolute;
      sum += sumErrors;
      off += offRows;
    },
    result(): TErrorMetrics {
      if (rows === 0) return { rows, rmse: null, mae: null, bias: null, shareOff10Minutes: null };
      return {
        rows,
        rmse: Math.sqrt(sse / rows),
        mae: sae / rows,
        bias: sum / rows,
        shareOff10Minutes: off / rows,
      };
    },
  };
}

/** Signed differences (a - b, minutes) in fixed bins, for a distribution chart. */
export type TDifferenceHistogram = {
  binMinutes: number;
  /** Lower edge of the first bin; the first and last bins also hold everything beyond them. */
  from: number;
  counts: number[];
};

export type TAgreement = {
  rows: number;
  meanAbsDifference: number;
  p95AbsDifference: number;
  /** Share of rides whose two predictions are more than DISAGREE_MINUTES apart. */
  shareOver5Minutes: number;
  /** Mean of a - b: positive = a answers longer than b. */
  meanDifference: number;
  histogram: TDifferenceHistogram;
};

// |Δ| histogram for the p95: 0.05-minute bins up to 2 hours, the rest in the last bin.
const ABS_BIN = 0.05;
const ABS_BINS = 2400;
// Signed histogram for the chart: 1-minute bins from -15 to +15.
const SIGNED_BIN = 1;
const SIGNED_FROM = -15;
const SIGNED_BINS = 30;

/** How far two models' answers are apart on the same rides. */
export function createAgreementAccumulator() {
  const absBins = new Float64Array(ABS_BINS + 1);
  const signedBins = new Float64Array(SIGNED_BINS);
  let sumAbs = 0;
  let sum = 0;
  let over = 0;
  let rows = 0;
  return {
    add(a: ArrayLike<number>, b: ArrayLike<number>, count = a.length): void {
      // Sums in locals, written back once (see createErrorMetrics).
      let n = 0;
      let sumDifferences = 0;
      let sumAbsolute = 0;
      let overRows = 0;
      for (let i = 0; i < count; i++) {
        const d = a[i]! - b[i]!;
        if (Number.isNaN(d)) continue;
        const abs = d < 0 ? -d : d;
        n++;
        sumDifferences += d;
        sumAbsolute += abs;
        if (abs > DISAGREE_MINUTES) overRows++;
        absBins[Math.min(ABS_BINS, Math.floor(abs / ABS_BIN))]! += 1;
        const signed = Math.floor((d - SIGNED_FROM) / SIGNED_BIN);
        signedBins[signed < 0 ? 0 : signed >= SIGNED_BINS ? SIGNED_BINS - 1 : signed]! += 1;
      }
      rows += n;
      sum += sumDifferences;
      sumAbs += sumAbsolute;
      over += overRows;
    },
    result(): TAgreement {
      let seen = 0;
      let p95 = 0;
      for (let i = 0; i <= ABS_BINS && rows > 0; i++) {
        seen += absBins[i]!;
        if (seen >= 0.95 * rows) {
          p95 = (i + 1) * ABS_BIN; // the bin's upper edge: never understates the difference
          break;
        }
      }
      return {
        rows,
        meanAbsDifference: rows ? sumAbs / rows : 0,
        p95AbsDifference: p95,
        shareOver5Minutes: rows ? over / rows : 0,
        meanDifference: rows ? sum / rows : 0,
        histogram: { binMinutes: SIGNED_BIN, from: SIGNED_FROM, counts: Array.from(signedBins) },
      };
    },
  };
}
