import { z } from 'zod';

import { ZReferenceProfile } from './monitoring/profile';
import { ZTaxiType } from './ride';

/** Named features the runtime can feed to a model input (see `@tripcast/model/features`). */
export const ZFeatureName = z
  .enum([
    'PULocationID',
    'DOLocationID',
    'PU_DO',
    'trip_distance',
    'pair_index',
    'hour_of_week',
    'borough_pair_hour_index',
  ])
  .describe('Feature computed by the one feature function');
export type TFeatureName = z.infer<typeof ZFeatureName>;

export const ZTensorType = z.enum(['int64', 'int32', 'float32', 'float64', 'string']);
export type TTensorType = z.infer<typeof ZTensorType>;

export const ZModelInput = z.object({
  name: z.string().min(1).describe('ONNX graph input name'),
  feature: ZFeatureName,
  type: ZTensorType.describe('Element type the ONNX input expects'),
  /** true when the input is [N, 1] (sklearn-onnx style) rather than [N]. */
  isColumn: z.boolean().default(false),
});
export type TModelInput = z.infer<typeof ZModelInput>;

export const ZMetrics = z.object({
  rmse: z.number().describe('Root mean squared error, minutes'),
  mae: z.number().optional().describe('Mean absolute error, minutes (validation only)'),
  bias: z.number().optional().describe('Mean of predicted - actual, minutes (validation only)'),
  rows: z.number().int().nonnegative().describe('Rows evaluated'),
  unseenPairShare: z
    .number()
    .min(0)
    .max(1)
    .optional()
    .describe('Share of rows whose PU_DO pair was not seen in training'),
});
export type TMetrics = z.infer<typeof ZMetrics>;

const ZResidualSummary = z.object({
  rows: z.number().int().nonnegative(),
  rmse: z.number(),
  mae: z.number(),
  bias: z.number().describe('Mean of predicted - actual, minutes'),
});
/** Validation residuals overall, by distance band and by borough pair (training/evaluate.ts). */
export const ZEvaluation = ZResidualSummary.extend({
  unseenPairShare: z.number().min(0).max(1),
  byDistance: z.array(ZResidualSummary.extend({ band: z.string() })),
  byBoroughPair: z.array(ZResidualSummary.extend({ boroughs: z.string() })),
});
export type TEvaluation = z.infer<typeof ZEvaluation>;

export const ZDataSource = z.object({
  uri: z.string().describe('Where the month was read from'),
  taxiType: ZTaxiType.optional(),
  year: z.number().int().optional(),
  month: z.number().int().min(1).max(12).optional(),
  sha256: z.string().length(64).optional().describe('sha256 of the Parquet file'),
  rowsRead: z.number().int().nonnegative(),
  rowsUsed: z
    .number()
    .int()
    .nonnegative()
    .describe('Rows kept by the course filter (1 <= duration <= 60 min)'),
  isSynthetic: z.boolean().default(false),
});
export type TDataSource = z.infer<typeof ZDataSource>;

/**
 * A model's name and version are folders of the store (`models/<name>/<version>/`), so each must be
 * ONE safe path segment: letters, digits, `_ . -`, not starting with `.` or `-` (so never `.` or
 * `..`, never hidden, never an option), at most 128 characters. `..` as a version once wrote the
 * artifacts above the model's folder. Every edge (card, CLI, tRPC, store) parses with these.
 */
const SAFE_SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const safeSegment = (what: string) =>
  z.string().regex(SAFE_SEGMENT, {
    error: `${what} must be 1-128 letters, digits, _ . - (not starting with . or -), e.g. v2 or 2026-12-04`,
  });
export const ZModelName = safeSegment('name').describe('Model name: one folder of the model store');
/** The registry name every app serves unless MODEL_NAME says otherwise (the course's output `model` field). */
export const DEFAULT_MODEL_NAME = 'ride_duration_prediction_model';
export const ZModelVersion = safeSegment('version').describe(
  'Version label: one folder under the model name',
);

/** True when `text` can be used as one folder name of the store (see ZModelName). */
export function isSafePathSegment(text: string): boolean {
  return SAFE_SEGMENT.test(text);
}

/** The JSON card stored next to `model.onnx`: everything needed to load, feed and trust a model. */
export const ZModelCard = z.object({
  schemaVersion: z.literal(1),
  name: ZModelName,
  version: ZModelVersion,
  createdAt: z.iso.datetime(),
  description: z.string().optional(),
  /** sha256 (hex) of model.onnx: loadModel refuses a file that does not match. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  inputs: z.array(ZModelInput).min(1),
  output: z.object({
    name: z.string().min(1),
    unit: z.literal('minutes'),
  }),
  training: z
    .object({
      algorithm: z.string(),
      features: z.array(z.string()),
      target: z.string(),
      filter: z.string(),
      recipe: z.string().optional().describe('Training recipe: course | zones'),
      hyperParameters: z
        .record(z.string(), z.union([z.number(), z.boolean(), z.string(), z.array(z.number())]))
        .optional(),
      trainData: z.array(ZDataSource),
      validationData: ZDataSource.optional(),
      trainSeconds: z.number().nonnegative().optional(),
      pairsSeen: z.number().int().nonnegative().optional(),
      coefficients: z
        .object({ intercept: z.number(), tripDistance: z.number() })
        .optional()
        .describe('For linear models: intercept and trip_distance coefficient'),
    })
    .optional(),
  metrics: z
    .object({
      train: ZMetrics.optional(),
      validation: ZMetrics.optional(),
      /** Residuals by distance band and borough pair on the validation month. */
      validationDetail: ZEvaluation.optional(),
    })
    .default({}),
  /**
   * Monitoring's reference: histograms and frequencies of the training rows and the model's
   * predictions for them (monitoring/profile.ts). Absent on versions trained before profiles.
   */
  profile: ZReferenceProfile.optional(),
});
export type TModelCard = z.infer<typeof ZModelCard>;
export type TModelCardInput = z.input<typeof ZModelCard>;
