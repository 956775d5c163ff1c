import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import path from 'node:path';

import { computeFeatures, hourOfWeekOf, UNKNOWN_HOUR_OF_WEEK } from '../features';
import {
  ZModelCard,
  type TDataSource,
  type TEvaluation,
  type TMetrics,
  type TModelCard,
} from '../model-card';
import { additiveCardIo, buildAdditiveModel } from '../onnx/additive-model';
import {
  additiveModelSpec,
  createAdditiveRows,
  DEFAULT_ADDITIVE_PARAMS,
  fitAdditiveModel,
  predictAdditive,
  type TAdditiveFit,
  type TAdditiveParams,
} from './additive-fit';
import { createEvaluation } from './evaluate';
import { buildLinearPairModel, linearPairCardIo } from '../onnx/linear-pair-model';
import { createLoadedModel, sha256Hex } from '../runtime';
import { parseTripFileName, readTripMonth, type TTripChunk } from '../trips/read';
import { durationMinutes } from '../trips/validate';
import { isTrainingRow, profileTrainingMonths } from './profile';
import {
  addToPairStats,
  createPairStats,
  predictLinearFit,
  solveLinearFit,
  solveSklearnLsqrFit,
  type TLinearFit,
} from './linear-fit';

import { DEFAULT_MODEL_NAME } from '../model-card';

export { DEFAULT_MODEL_NAME };

import { DEFAULT_SOLVER, type TTrainingSolver } from './solvers';

export { DEFAULT_SOLVER, TRAINING_SOLVERS, type TTrainingSolver } from './solvers';

import { DEFAULT_RECIPE, type TTrainingRecipe } from './recipes';

export { DEFAULT_RECIPE, TRAINING_RECIPES, type TTrainingRecipe } from './recipes';

export type TTrainProgressEvent =
  { phase: 'train' | 'validate'; file: string; rowsRead: number } | { phase: 'fit' | 'export' };

export type TTrainOptions = {
  recipe?: TTrainingRecipe;
  /** `course` only. */
  solver?: TTrainingSolver;
  /** `zones` only: hyper-parameters over DEFAULT_ADDITIVE_PARAMS. */
  params?: Partial<TAdditiveParams>;
  /** Local Parquet files (download s3:// months first). */
  trainFiles: string[];
  validationFile?: string;
  name?: string;
  version?: string;
  description?: string;
  /** URIs to record as provenance instead of the local paths (e.g. the s3:// the file came from). */
  sourceUris?: Record<string, string>;
  isSynthetic?: boolean;
  /** Reading a month (`train`, `validate`: after each chunk), then `fit` and `export` once each. */
  onProgress?: (event: TTrainProgressEvent) => void;
  now?: Date;
};

export type TTrainResult<TFit = TLinearFit | TAdditiveFit> = {
  onnx: Uint8Array;
  card: TModelCard;
  fit: TFit;
};

const PAIR_INPUT = [{ feature: 'pair_index', type: 'int32' }] as const;

/** Which rows the course trains and evaluates on, and which the model can represent at all. */
export const TRAINING_FILTER =
  '1 <= duration <= 60 min (the course filter); rows with a null datetime, a zone outside 1..265 or a null distance cannot be encoded and are skipped';

/** Yield (pair, distance, duration) for every usable course-filtered row of a file. */
async function scanFile(
  file: string,
  visit: (pair: number, distance: number, duration: number, chunk: TTripChunk, i: number) => void,
  onChunk: (rowsRead: number) => void,
): Promise<{ rowsRead: number; rowsUsed: number }> {
  let rowsRead = 0;
  let rowsUsed = 0;
  for await (const chunk of readTripMonth(file)) {
    // The one feature function gives the pair index, exactly as scoring will compute it.
    const pairs = computeFeatures(chunk, PAIR_INPUT).pair_index as Int32Array;
    for (let i = 0; i < chunk.length; i++) {
      if (!isTrainingRow(chunk, i)) continue;
      const duration = durationMinutes(chunk.pickupMs[i]!, chunk.dropoffMs[i]!);
      visit(pairs[i]!, chunk.distance[i]!, duration, chunk, i);
      rowsUsed++;
    }
    rowsRead += chunk.length;
    onChunk(rowsRead);
  }
  return { rowsRead, rowsUsed };
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const data of createReadStream(file)) hash.update(data as Buffer);
  return hash.digest('hex');
}

async function describeSource(
  file: string,
  counts: { rowsRead: number; rowsUsed: number },
  options: TTrainOptions,
): Promise<TDataSource> {
  const parsed = parseTripFileName(path.basename(file));
  return {
    uri: options.sourceUris?.[file] ?? path.resolve(file),
    ...(parsed ?? {}),
    sha256: await sha256File(file),
    rowsRead: counts.rowsRead,
    rowsUsed: counts.rowsUsed,
    isSynthetic: options.isSynthetic ?? false,
  };
}

function createMetricsAccumulator(
  predict: (pair: number, distance: number, chunk: TTripChunk, i: number) => number,
  seen: (pair: number) => boolean,
) {
  const evaluation = createEvaluation();
  let sumSquared = 0;
  let sumAbsolute = 0;
  let rows = 0;
  let unseen = 0;
  return {
    add(pair: number, distance: number, duration: number, chunk: TTripChunk, i: number) {
      const predicted = predict(pair, distance, chunk, i);
      const error = predicted - duration;
      sumSquared += error * error;
      sumAbsolute += Math.abs(error);
      rows++;
      const isSeen = seen(pair);
      if (!isSeen) unseen++;
      evaluation.add(chunk.pu[i]!, chunk.do[i]!, distance, duration, predicted, isSeen);
    },
    detail: () => evaluation.result(),
    result(): TMetrics {
      return {
        rmse: Math.sqrt(sumSquared / rows),
        mae: sumAbsolute / rows,
        bias: evaluation.result().bias,
        rows,
        unseenPairShare: rows ? unseen / rows : 0,
      };
    },
  };
}

type TValidation = { source?: TDataSource; metrics?: TMetrics; detail?: TEvaluation };

/** Score the validation month (when one is given) with a recipe's float64 predictor. */
async function validateOnMonth(
  options: TTrainOptions,
  predict: Parameters<typeof createMetricsAccumulator>[0],
  seen: Parameters<typeof createMetricsAccumulator>[1],
): Promise<TValidation> {
  if (!options.validationFile) return {};
  const file = options.validationFile;
  const metrics = createMetricsAccumulator(predict, seen);
  const counts = await scanFile(
    file,
    (p, d, y, chunk, i) => metrics.add(p, d, y, chunk, i),
    (rowsRead) => options.onProgress?.({ phase: 'validate', file, rowsRead }),
  );
  return {
    source: await describeSource(file, counts, options),
    metrics: metrics.result(),
    detail: metrics.detail(),
  };
}

function defaultVersion(now: Date, onnx: Uint8Array): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${sha256Hex(onnx).slice(0, 8)}`;
}

/**
 * The card both recipes write: the graph's identity, checksum and inputs, the training facts every
 * recipe records (target, filter, data, time, pairs seen) after the recipe's own, and the metrics.
 */
function buildTrainedCard(
  options: TTrainOptions,
  card: {
    name: string;
    onnx: Uint8Array;
    description: string;
    io: Pick<TModelCard, 'inputs' | 'output'>;
    /** The recipe's own training facts: algorithm, recipe, hyper-parameters, features, ... */
    recipe: Record<string, unknown>;
    trainSources: unknown;
    validation: TValidation;
    trainSeconds: number;
    fit: { pairsSeen: number; trainRmse: number; rows: number };
    coefficients?: Record<string, number>;
  },
): TModelCard {
  const now = options.now ?? new Date();
  return ZModelCard.parse({
    schemaVersion: 1,
    name: card.name,
    version: options.version ?? defaultVersion(now, card.onnx),
    createdAt: now.toISOString(),
    description: options.description ?? card.description,
    sha256: sha256Hex(card.onnx),
    ...card.io,
    training: {
      ...card.recipe,
      target: 'duration_minutes = (dropoff - pickup) / 60 s',
      filter: TRAINING_FILTER,
      trainData: card.trainSources,
      validationData: card.validation.source,
      trainSeconds: card.trainSeconds,
      pairsSeen: card.fit.pairsSeen,
      ...(card.coefficients ? { coefficients: card.coefficients } : {}),
    },
    metrics: {
      train: { rmse: card.fit.trainRmse, rows: card.fit.rows },
      validation: card.validation.metrics,
      validationDetail: card.validation.detail,
    },
  });
}

/**
 * Train the course's model (one-hot PU_DO + trip_distance, least squares with sklearn's
 * conventions) on one or more TLC months, evaluate it on a validation month, and export it as
 * ONNX with its card. The export is loaded back into onnxruntime and checked against the float64
 * fit before it is returned.
 */
export async function trainModel(
  options: TTrainOptions & { recipe: 'course' },
): Promise<TTrainResult<TLinearFit>>;
export async function trainModel(options: TTrainOptions): Promise<TTrainResult>;
export async function trainModel(options: TTrainOptions): Promise<TTrainResult> {
  if (options.trainFiles.length === 0)
    throw new Error('trainModel: give at least one training file');
  if ((options.recipe ?? DEFAULT_RECIPE) === 'zones') return trainZonesModel(options);
  const solver = options.solver ?? DEFAULT_SOLVER;
  const started = performance.now();
  // One streaming pass: both solvers need only per-pair statistics, so memory stays bounded.
  const stats = createPairStats();
  const trainSources: TDataSource[] = [];
  for (const file of options.trainFiles) {
    const counts = await scanFile(
      file,
      (pair, distance, duration) => addToPairStats(stats, pair, distance, duration),
      (rowsRead) => options.onProgress?.({ phase: 'train', file, rowsRead }),
    );
    trainSources.push(await describeSource(file, counts, options));
  }
  options.onProgress?.({ phase: 'fit' });
  const fit = solver === 'exact' ? solveLinearFit(stats) : solveSklearnLsqrFit(stats);
  const trainSeconds = (performance.now() - started) / 1000;

  const validation = await validateOnMonth(
    options,
    (pair, distance) => predictLinearFit(fit, pair, distance),
    (pair) => stats.count[pair] !== 0,
  );

  const name = options.name ?? DEFAULT_MODEL_NAME;
  options.onProgress?.({ phase: 'export' });
  const onnx = buildLinearPairModel({
    pairCoefficients: fit.pairCoefficients,
    distanceCoefficient: fit.distanceCoefficient,
    intercept: fit.intercept,
    metadata: { name, target: 'duration_minutes' },
  });
  const draft = buildTrainedCard(options, {
    name,
    onnx,
    description: 'Course linear regression: one-hot PU_DO + trip_distance -> duration (minutes)',
    io: linearPairCardIo(),
    recipe: {
      algorithm:
        solver === 'exact'
          ? 'exact minimum-norm least squares, sklearn conventions (centred, intercept = mean(y) - mean(X)·coef, unseen PU_DO contributes 0)'
          : 'sklearn LinearRegression on DictVectorizer features: SciPy lsqr on centred X, atol = btol = 1e-6 (unseen PU_DO contributes 0)',
      features: ['PU_DO (one-hot)', 'trip_distance'],
      recipe: 'course',
      hyperParameters: { solver },
    },
    trainSources,
    validation,
    trainSeconds,
    fit,
    coefficients: { intercept: fit.intercept, tripDistance: fit.distanceCoefficient },
  });
  const card = await checkExport(
    onnx,
    draft,
    (pair, distance) => predictLinearFit(fit, pair, distance),
    options.trainFiles,
  );
  return { onnx, card, fit };
}

/**
 * Score a spread of pairs and distances through onnxruntime and compare with the float64 fit; then,
 * with the same loaded export, profile the training rows for monitoring: the card it returns has
 * `profile`.
 */
async function checkExport(
  onnx: Uint8Array,
  card: TModelCard,
  predict: (pair: number, distance: number, hourOfWeek: number) => number,
  trainFiles: string[],
): Promise<TModelCard> {
  const model = await createLoadedModel(onnx, card);
  try {
    const n = 266 * 265;
    const columns = {
      pu: new Int32Array(n),
      do: new Int32Array(n),
      distance: new Float64Array(n),
      pickupMs: new Float64Array(n),
    };
    for (let i = 0; i < n; i++) {
      columns.pu[i] = 1 + (i % 265);
      columns.do[i] = 1 + (Math.floor(i / 266) % 265);
      columns.distance[i] = (i % 97) * 0.37;
      // Every hour of the week (and unknown times) across the probes.
      columns.pickupMs[i] =
        i % 173 === 0 ? Number.NaN : Date.UTC(2021, 0, 4) + (i % 168) * 3_600_000 + 60_000;
    }
    const predicted = await model.predict(columns);
    const pairs = computeFeatures(columns, PAIR_INPUT).pair_index as Int32Array;
    for (let i = 0; i < n; i++) {
      const expected = predict(pairs[i]!, columns.distance[i]!, hourOfWeekOf(columns.pickupMs[i]!));
      // float32 output: allow its rounding, relative to the magnitude.
      if (Math.abs(predicted[i]! - expected) > 1e-4 * Math.max(1, Math.abs(expected))) {
        throw new Error(
          `ONNX export check failed at pair ${pairs[i]}: ${predicted[i]} vs ${expected}`,
        );
      }
    }
    const profile = await profileTrainingMonths({ files: trainFiles, model });
    return ZModelCard.parse({ ...card, profile });
  } finally {
    await model.close();
  }
}

/** The features a `zones` model reads, for the card. */
function zonesFeatures(params: TAdditiveParams): string[] {
  return [
    'PU_DO (pair level; unseen pairs fall back to PU, DO and borough-pair levels)',
    'PULocationID, DOLocationID (levels and distance slopes)',
    'borough pair (level and distance slope)',
    `trip_distance clipped to [0, ${params.distanceClip}] mi, hinges at ${params.knots.join(', ')} mi, zero-distance flag`,
    ...(params.useTime
      ? [
          'hour of week of pickup_datetime (level and distance slope)',
          'borough pair x 3-hour band of the week (level)',
        ]
      : []),
  ];
}

/** Train the `zones` recipe (additive-fit.ts): rows in typed arrays, backfitting, ONNX + card. */
async function trainZonesModel(options: TTrainOptions): Promise<TTrainResult> {
  const params: TAdditiveParams = { ...DEFAULT_ADDITIVE_PARAMS, ...options.params };
  const started = performance.now();
  const buffer = createAdditiveRows();
  const trainSources: TDataSource[] = [];
  for (const file of options.trainFiles) {
    const counts = await scanFile(
      file,
      (_pair, distance, duration, chunk, i) =>
        buffer.add(
          chunk.pu[i]!,
          chunk.do[i]!,
          distance,
          hourOfWeekOf(chunk.pickupMs[i]!),
          duration,
        ),
      (rowsRead) => options.onProgress?.({ phase: 'train', file, rowsRead }),
    );
    trainSources.push(await describeSource(file, counts, options));
  }
  options.onProgress?.({ phase: 'fit' });
  const fit = fitAdditiveModel(buffer.rows(), params);
  const trainSeconds = (performance.now() - started) / 1000;
  const predict = (pair: number, distance: number, hourOfWeek: number) =>
    predictAdditive(fit, pair, distance, params.useTime ? hourOfWeek : UNKNOWN_HOUR_OF_WEEK);

  const validation = await validateOnMonth(
    options,
    (pair, distance, chunk, i) => predict(pair, distance, hourOfWeekOf(chunk.pickupMs[i]!)),
    (pair) => fit.pairSeen[pair] === 1,
  );

  const name = options.name ?? DEFAULT_MODEL_NAME;
  options.onProgress?.({ phase: 'export' });
  const onnx = buildAdditiveModel({
    ...additiveModelSpec(fit),
    metadata: { name, target: 'duration_minutes', recipe: 'zones' },
  });
  const draft = buildTrainedCard(options, {
    name,
    onnx,
    description: `Zones recipe: ridge additive model over pair / zone / borough tables, distance curve${params.useTime ? ' and pickup hour of week' : ''} -> duration (minutes)`,
    io: additiveCardIo(params.useTime),
    recipe: {
      algorithm:
        'ridge-regularised additive model (one penalty per block) fitted by block coordinate descent (backfitting); every block is a lookup table',
      recipe: 'zones',
      hyperParameters: params,
      features: zonesFeatures(params),
    },
    trainSources,
    validation,
    trainSeconds,
    fit,
  });
  const card = await checkExport(onnx, draft, predict, options.trainFiles);
  return { onnx, card, fit };
}
