// Several model versions scored on the same month, side by side: what `models compare` prints and
// what a comparison view shows. Every version sees exactly the same rows (the course filter, as
// training validates), through its own onnxruntime session, so the figures are comparable.
import type { TRideColumns } from '../features';
import type { TEvaluation } from '../model-card';
import type { TLoadedModel } from '../runtime';
import { durationMinutes, isCourseDuration } from '../trips/validate';
import { readTripMonth, type TTripChunk } from '../trips/read';
import { createAgreementAccumulator, type TAgreement } from '../quality';
import { createEvaluation } from './evaluate';

/** Predicted-vs-actual counts on a square grid of `binMinutes` cells from 0 to `maxMinutes`. */
export type TPredictedVsActualGrid = {
  binMinutes: number;
  maxMinutes: number;
  /** counts[actualBin][predictedBin]; predictions beyond maxMinutes fall in the last bin. */
  counts: number[][];
};

export type TVersionComparison = {
  label: string;
  evaluation: TEvaluation;
  predictedVsActual: TPredictedVsActualGrid;
};

/** How far two versions' answers are apart on the same rides (minutes). */
export type TPairDifference = {
  a: string;
  b: string;
  meanAbsDifference: number;
  p95AbsDifference: number;
  /** Share of rides whose two predictions are more than 5 minutes apart. */
  shareOver5Minutes: number;
};

export type TModelComparison = {
  file: string;
  rowsRead: number;
  /** Rows with 1..60 min duration and encodable zones and distance: the rows every version scored. */
  rowsCompared: number;
  versions: TVersionComparison[];
  pairs: TPairDifference[];
};

const GRID_BIN_MINUTES = 2;
const GRID_MAX_MINUTES = 60;

/** The rows of a chunk every version is scored on, as ride columns, with their actual durations. */
function selectComparableRows(chunk: TTripChunk): { columns: TRideColumns; actual: Float64Array } {
  const keep: number[] = [];
  for (let i = 0; i < chunk.length; i++) {
    const pu = chunk.pu[i]!;
    const dropoff = chunk.do[i]!;
    const duration = durationMinutes(chunk.pickupMs[i]!, chunk.dropoffMs[i]!);
    if (!isCourseDuration(duration)) continue;
    if (pu < 1 || pu > 265 || dropoff < 1 || dropoff > 265 || Number.isNaN(chunk.distance[i]!))
      continue;
    keep.push(i);
  }
  const n = keep.length;
  const columns = {
    pu: new Int32Array(n),
    do: new Int32Array(n),
    distance: new Float64Array(n),
    pickupMs: new Float64Array(n),
  };
  const actual = new Float64Array(n);
  keep.forEach((i, j) => {
    columns.pu[j] = chunk.pu[i]!;
    columns.do[j] = chunk.do[i]!;
    columns.distance[j] = chunk.distance[i]!;
    columns.pickupMs[j] = chunk.pickupMs[i]!;
    actual[j] = durationMinutes(chunk.pickupMs[i]!, chunk.dropoffMs[i]!);
  });
  return { columns, actual };
}

/**
 * Score `models` on one month (Parquet or CSV, local or s3://) and compare them: per version RMSE,
 * MAE and bias overall, by distance band and by borough pair (the evaluation training stores), a
 * predicted-vs-actual grid for a chart, and for every pair of versions how far their answers are
 * apart. One model call per version per chunk; memory stays bounded by the chunk size.
 */
export async function compareModelsOnMonth(options: {
  file: string;
  models: { label: string; model: TLoadedModel }[];
  onProgress?: (rowsRead: number) => void;
}): Promise<TModelComparison> {
  const { file, models } = options;
  if (models.length === 0) throw new Error('compare needs at least one model version');
  const evaluations = models.map(() => createEvaluation());
  const bins = GRID_MAX_MINUTES / GRID_BIN_MINUTES;
  const grids = models.map(() =>
    Array.from({ length: bins }, () => new Array<number>(bins).fill(0)),
  );
  const pairIndex: [number, number][] = [];
  for (let a = 0; a < models.length; a++)
    for (let b = a + 1; b < models.length; b++) pairIndex.push([a, b]);
  const differences = pairIndex.map(() => createAgreementAccumulator());
  let rowsRead = 0;
  let rowsCompared = 0;
  for await (const chunk of readTripMonth(file)) {
    rowsRead += chunk.length;
    const { columns, actual } = selectComparableRows(chunk);
    if (actual.length > 0) {
      const predictions = await Promise.all(models.map(({ model }) => model.predict(columns)));
      for (let m = 0; m < models.length; m++) {
        const predicted = predictions[m]!;
        const evaluation = evaluations[m]!;
        const grid = grids[m]!;
        for (let j = 0; j < actual.length; j++) {
          evaluation.add(
            columns.pu[j]!,
            columns.do[j]!,
            columns.distance[j]!,
            actual[j]!,
            predicted[j]!,
          );
          const row = Math.min(bins - 1, Math.floor(actual[j]! / GRID_BIN_MINUTES));
          const col = Math.max(0, Math.min(bins - 1, Math.floor(predicted[j]! / GRID_BIN_MINUTES)));
          grid[row]![col]! += 1;
        }
      }
      pairIndex.forEach(([a, b], p) => {
        differences[p]!.add(predictions[a]!, predictions[b]!, actual.length);
      });
      rowsCompared += actual.length;
    }
    options.onProgress?.(rowsRead);
  }
  return {
    file,
    rowsRead,
    rowsCompared,
    versions: models.map(({ label }, m) => ({
      label,
      // Whether a pair was seen in training is the trainer's knowledge, not the artifact's: not reported here.
      evaluation: { ...evaluations[m]!.result(), unseenPairShare: 0 },
      predictedVsActual: {
        binMinutes: GRID_BIN_MINUTES,
        maxMinutes: GRID_MAX_MINUTES,
        counts: grids[m]!,
      },
    })),
    pairs: pairIndex.map(([a, b], p) => ({
      a: models[a]!.label,
      b: models[b]!.label,
      ...pickPairFigures(differences[p]!.result()),
    })),
  };
}

function pickPairFigures({ meanAbsDifference, p95AbsDifference, shareOver5Minutes }: TAgreement) {
  return { meanAbsDifference, p95AbsDifference, shareOver5Minutes };
}
