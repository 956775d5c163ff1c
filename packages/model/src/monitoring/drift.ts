// Drift of a population (a batch run, a day of online or stream predictions) against a model's
// reference profile (profile.ts), feature by feature, on the profiles' fixed bins.
//
// The measure judged against thresholds is the POPULATION STABILITY INDEX,
//   PSI = sum over bins of (c - r) * ln(c / r)
// with r, c the reference and current shares of each bin, each share floored at PSI_SHARE_FLOOR so an
// empty bin does not make it infinite. Usual reading: < 0.1 stable, 0.1-0.25 moderate shift,
// > 0.25 major shift (the default watch / alert thresholds). The Jensen-Shannon distance (square root
// of the JS divergence, base 2: 0 = same, 1 = disjoint; no floor needed) is reported beside it as a
// bounded second opinion. The share of rides whose PU_DO pair training never saw is judged on its own
// thresholds (those rides get the model's fallback prediction). Browser-safe.
import { z } from 'zod';

import { UNKNOWN_HOUR_OF_WEEK } from '../features';
import type { TPopulationProfile, TReferenceProfile } from './profile';

export const PSI_SHARE_FLOOR = 1e-4;

export const DRIFT_FEATURES = [
  'distance',
  'pickupZones',
  'dropoffZones',
  'hourOfWeek',
  'prediction',
] as const;
export type TDriftFeature = (typeof DRIFT_FEATURES)[number];
export const DRIFT_FEATURE_LABELS: Record<TDriftFeature, string> = {
  distance: 'trip distance',
  pickupZones: 'pickup zone mix',
  dropoffZones: 'dropoff zone mix',
  hourOfWeek: 'hour-of-week mix',
  prediction: 'predicted duration',
};

export const ZDriftThresholds = z.object({
  psiWatch: z
    .number()
    .positive()
    .default(0.1)
    .describe('PSI at or above which a feature is watched'),
  psiAlert: z.number().positive().default(0.25).describe('PSI at or above which a feature alerts'),
  unseenPairWatch: z
    .number()
    .min(0)
    .max(1)
    .default(0.05)
    .describe(
      'Share of rides with a pair never seen in training at or above which the run is watched',
    ),
  unseenPairAlert: z
    .number()
    .min(0)
    .max(1)
    .default(0.1)
    .describe('... at or above which it alerts'),
  minRows: z
    .number()
    .int()
    .nonnegative()
    .default(500)
    .describe(
      'Below this many rides drift is reported but never judged (sampling noise dominates PSI)',
    ),
});
export type TDriftThresholds = z.infer<typeof ZDriftThresholds>;
export const DEFAULT_DRIFT_THRESHOLDS: TDriftThresholds = ZDriftThresholds.parse({});

export const ZDriftStatus = z.enum(['ok', 'watch', 'alert', 'insufficient']);
export type TDriftStatus = z.infer<typeof ZDriftStatus>;

export const ZFeatureDrift = z.object({
  psi: z.number(),
  js: z.number().describe('Jensen-Shannon distance, base 2, 0..1'),
});
export const ZDriftReport = z.object({
  rows: z.number().int().nonnegative(),
  features: z.object({
    distance: ZFeatureDrift.nullable(),
    pickupZones: ZFeatureDrift.nullable(),
    dropoffZones: ZFeatureDrift.nullable(),
    hourOfWeek: ZFeatureDrift.nullable().describe('null when the population has no pickup times'),
    prediction: ZFeatureDrift.nullable(),
  }),
  unseenPairShare: z.number().min(0).max(1).nullable(),
  /** The largest PSI over the features (the headline figure charted over time). */
  maxPsi: z.number(),
  status: ZDriftStatus,
  reasons: z.array(z.string()).describe('Why the status is not ok, one line per crossed threshold'),
  thresholds: ZDriftThresholds,
});
export type TDriftReport = z.infer<typeof ZDriftReport>;

function shares(counts: readonly number[], skip?: number): number[] | null {
  let total = 0;
  counts.forEach((n, i) => {
    if (i !== skip) total += n;
  });
  if (total === 0) return null;
  return counts.map((n, i) => (i === skip ? 0 : n / total));
}

/** PSI of two count vectors on the same bins (see file comment); `skip` = a bin left out (unknown). */
export function populationStabilityIndex(
  reference: readonly number[],
  current: readonly number[],
  skip?: number,
): number | null {
  const r = shares(reference, skip);
  const c = shares(current, skip);
  if (!r || !c) return null;
  let psi = 0;
  for (let i = 0; i < r.length; i++) {
    if (i === skip) continue;
    const ri = Math.max(r[i]!, PSI_SHARE_FLOOR);
    const ci = Math.max(c[i]!, PSI_SHARE_FLOOR);
    psi += (ci - ri) * Math.log(ci / ri);
  }
  return psi;
}

/** Jensen-Shannon distance (base 2) of two count vectors on the same bins. */
export function jensenShannonDistance(
  reference: readonly number[],
  current: readonly number[],
  skip?: number,
): number | null {
  const r = shares(reference, skip);
  const c = shares(current, skip);
  if (!r || !c) return null;
  let divergence = 0;
  for (let i = 0; i < r.length; i++) {
    const m = (r[i]! + c[i]!) / 2;
    if (r[i]! > 0) divergence += 0.5 * r[i]! * Math.log2(r[i]! / m);
    if (c[i]! > 0) divergence += 0.5 * c[i]! * Math.log2(c[i]! / m);
  }
  return Math.sqrt(Math.max(0, Math.min(1, divergence)));
}

function featureDrift(reference: readonly number[], current: readonly number[], skip?: number) {
  const psi = populationStabilityIndex(reference, current, skip);
  const js = jensenShannonDistance(reference, current, skip);
  return psi === null || js === null ? null : { psi, js };
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;

/**
 * Drift of `current` against `reference`: PSI and JS distance per feature, the unseen-pair share,
 * and ok / watch / alert (or insufficient below minRows) with one reason per crossed threshold.
 * The hour-of-week mix leaves out "time unknown" and is null when the population has no times.
 */
export function measureDrift(
  reference: TReferenceProfile,
  current: TPopulationProfile,
  thresholds: Partial<TDriftThresholds> = {},
): TDriftReport {
  const limits = ZDriftThresholds.parse(thresholds);
  const features = {
    distance: featureDrift(reference.distance, current.distance),
    pickupZones: featureDrift(reference.pickupZones, current.pickupZones),
    dropoffZones: featureDrift(reference.dropoffZones, current.dropoffZones),
    hourOfWeek: featureDrift(reference.hourOfWeek, current.hourOfWeek, UNKNOWN_HOUR_OF_WEEK),
    prediction: featureDrift(reference.prediction, current.prediction),
  };
  for (const key of DRIFT_FEATURES) {
    const f = features[key];
    if (f) features[key] = { psi: round(f.psi), js: round(f.js) };
  }
  const unseenPairShare =
    current.unseenPairRows !== undefined && current.rows > 0
      ? round(current.unseenPairRows / current.rows)
      : null;
  const maxPsi = Math.max(0, ...DRIFT_FEATURES.map((key) => features[key]?.psi ?? 0));

  // Reasons worst first (alerts, then by how far past): the first one is what a summary shows.
  const found: { level: number; excess: number; reason: string }[] = [];
  let level = 0;
  const raise = (to: number, reason: string, value: number, limit: number) => {
    level = Math.max(level, to);
    found.push({ level: to, excess: limit > 0 ? value / limit : value, reason });
  };
  for (const key of DRIFT_FEATURES) {
    const psi = features[key]?.psi;
    if (psi === undefined) continue;
    const label = `${DRIFT_FEATURE_LABELS[key]} PSI ${psi.toFixed(3)}`;
    if (psi >= limits.psiAlert)
      raise(2, `${label} >= alert ${limits.psiAlert}`, psi, limits.psiAlert);
    else if (psi >= limits.psiWatch)
      raise(1, `${label} >= watch ${limits.psiWatch}`, psi, limits.psiWatch);
  }
  if (unseenPairShare !== null) {
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
    const label = `pairs never seen in training ${pct(unseenPairShare)}`;
    const { unseenPairAlert: alert, unseenPairWatch: watch } = limits;
    if (unseenPairShare >= alert)
      raise(2, `${label} >= alert ${pct(alert)}`, unseenPairShare, alert);
    else if (unseenPairShare >= watch)
      raise(1, `${label} >= watch ${pct(watch)}`, unseenPairShare, watch);
  }
  const isSmall = current.rows < limits.minRows;
  return {
    rows: current.rows,
    features,
    unseenPairShare,
    maxPsi: round(maxPsi),
    status: isSmall ? 'insufficient' : (['ok', 'watch', 'alert'] as const)[level]!,
    reasons: isSmall
      ? [`${current.rows} rides < ${limits.minRows}: too few to judge drift`]
      : found.sort((a, b) => b.level - a.level || b.excess - a.excess).map((f) => f.reason),
    thresholds: limits,
  };
}
