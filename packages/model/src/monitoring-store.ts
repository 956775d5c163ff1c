// Monitoring against the database: the reference profile of a version (its card's, or one computed
// from its training month on first use), and recording a population's drift with its alert. The
// batch scorer keeps one tracker per model during a run (createRunDriftTracker); the daily job
// measures online and stream predictions per version (measureHistoryDrift). Pure measures live in
// ./monitoring (browser-safe); this is the Node side.
import { saveModelProfile, getStoredModelProfile } from '@tripcast/db/queries/model-profiles';
import { recordModelDrift } from '@tripcast/db/queries/drift';
import { raiseAlert } from '@tripcast/db/queries/alerts';
import { countHistoryForProfiles } from '@tripcast/db/queries/history';

import type { TScoringModel } from './features';
import type { TModelCard } from './model-card';
import {
  createProfileAccumulator,
  decodeSeenPairs,
  DISTANCE_BIN_EDGES,
  PREDICTION_BIN_EDGES,
  ZONE_SLOTS,
  ZReferenceProfile,
  type TPopulationProfile,
  type TProfileRows,
  type TReferenceProfile,
} from './monitoring/profile';
import { measureDrift, type TDriftReport, type TDriftThresholds } from './monitoring/drift';
import { DEFAULT_QUALITY_THRESHOLDS, type TQualityThresholds } from './monitoring/status';
import { HOUR_OF_WEEK_SLOTS, pairIndexOf, UNKNOWN_HOUR_OF_WEEK } from './features';
import type { TObjectStoreOptions } from './object-store';
import { profileTrainingMonths } from './training/profile';
import { localizeTripFile } from './trips/source';

type TPool = Parameters<typeof recordModelDrift>[0];
type TLog = { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
const SILENT: TLog = { info: () => undefined, warn: () => undefined };

export type TResolvedProfile =
  { profile: TReferenceProfile; origin: 'card' | 'computed' } | { profile: null; reason: string };

/**
 * The reference a version is watched against: `card.profile`; else the one computed earlier from
 * its training month (model_profiles); else computed now from the training month(s) named in the
 * card (local path, s3:// or https://) with `model` predicting, and stored; else, when the card
 * names no month or it cannot be read, "none" with the reason (stored too, so no run retries it).
 */
export async function resolveReferenceProfile(
  options: TObjectStoreOptions & {
    pool: TPool;
    card: TModelCard;
    /** Predicts for a first-use profile; without it a version with no profile stays unresolved (not stored). */
    model?: Pick<TScoringModel, 'predict'>;
    log?: TLog;
  },
): Promise<TResolvedProfile> {
  const { pool, card } = options;
  const log = options.log ?? SILENT;
  if (card.profile) return { profile: card.profile, origin: 'card' };
  const key = { modelName: card.name, modelVersion: card.version };
  const stored = await getStoredModelProfile(pool, key);
  if (stored) {
    const parsed = ZReferenceProfile.safeParse(stored.profile);
    if (parsed.success) return { profile: parsed.data, origin: 'computed' };
    return { profile: null, reason: stored.reason ?? 'stored profile is unreadable' };
  }
  if (!options.model)
    return { profile: null, reason: 'no profile in the card, and no model given to compute one' };
  const sources = card.training?.trainData ?? [];
  const none = async (reason: string): Promise<TResolvedProfile> => {
    log.warn(
      { model: `${card.name}@${card.version}`, reason },
      'no reference profile: drift is not measured for this version',
    );
    await saveModelProfile(pool, { ...key, profile: null, reason });
    return { profile: null, reason };
  };
  if (sources.length === 0) return none('the card names no training month');
  if (sources.some((s) => s.isSynthetic))
    return none('trained on synthetic data: no real reference');
  const files: { path: string; cleanup: () => Promise<void> }[] = [];
  try {
    for (const source of sources)
      files.push(await localizeTripFile(source.uri, { s3: options.s3 }));
    log.info(
      { model: `${card.name}@${card.version}`, months: sources.map((s) => s.uri) },
      'computing the reference profile from the training month (first use)',
    );
    const profile = await profileTrainingMonths({
      files: files.map((f) => f.path),
      model: options.model,
    });
    await saveModelProfile(pool, { ...key, profile });
    return { profile, origin: 'computed' };
  } catch (error) {
    return none(`training month not readable: ${(error as Error).message.split('\n')[0]}`);
  } finally {
    await Promise.all(files.map((f) => f.cleanup().catch(() => undefined)));
  }
}

export type TRecordDriftInput = {
  pool: TPool;
  source: 'batch' | 'online' | 'stream';
  /** The run id, or the UTC day YYYY-MM-DD. */
  scope: string;
  periodStart: Date;
  modelName: string;
  modelVersion: string;
  role: string;
  reference: TReferenceProfile;
  current: TPopulationProfile;
  thresholds?: Partial<TDriftThresholds>;
  log?: TLog;
};

/**
 * Measure, store (model_drift) and, when a threshold is crossed, raise the alert (alerts) and log
 * it as `event: "monitoring.alert"`: on AWS a CloudWatch Logs metric filter counts those lines
 * (infra/modules/scorer) and an alarm sends them to the platform's SNS topic.
 */
export async function recordDrift(input: TRecordDriftInput): Promise<TDriftReport> {
  const report = measureDrift(input.reference, input.current, input.thresholds);
  await recordModelDrift(input.pool, {
    source: input.source,
    scope: input.scope,
    modelName: input.modelName,
    modelVersion: input.modelVersion,
    role: input.role,
    periodStart: input.periodStart,
    rows: report.rows,
    maxPsi: report.maxPsi,
    unseenPairShare: report.unseenPairShare,
    status: report.status,
    report,
    current: input.current,
  });
  if (report.status === 'watch' || report.status === 'alert') {
    const what =
      input.source === 'batch'
        ? `batch run ${input.scope}`
        : `${input.source} predictions of ${input.scope}`;
    const message = `${input.modelName} ${input.modelVersion} (${input.role}): ${report.status} drift on ${what}: ${report.reasons.join('; ')}`;
    const alert = await raiseAlert(input.pool, {
      kind: 'drift',
      severity: report.status,
      source: input.source,
      scope: input.scope,
      modelName: input.modelName,
      modelVersion: input.modelVersion,
      message,
      details: {
        maxPsi: report.maxPsi,
        unseenPairShare: report.unseenPairShare,
        reasons: report.reasons,
      },
    });
    (input.log ?? SILENT).warn(
      {
        event: 'monitoring.alert',
        alertId: alert.id,
        severity: report.status,
        model: input.modelName,
        version: input.modelVersion,
        source: input.source,
        scope: input.scope,
      },
      message,
    );
  }
  return report;
}

/**
 * Drift of one model over one batch run, counted while the run scores (no second pass): `add` the
 * scored rows of every batch (inputs + this model's predictions), then `record` once the run has
 * succeeded. A version without a reference (and no readable training month) records nothing and
 * says why. Cost: a few array increments per row.
 */
export function createRunDriftTracker(
  options: TObjectStoreOptions & {
    pool: TPool;
    model: Pick<TScoringModel, 'name' | 'version' | 'predict'> & { card: TModelCard };
    role?: string;
    thresholds?: Partial<TDriftThresholds>;
    log?: TLog;
  },
) {
  // The seen-pairs bitset is needed while counting; a card without a profile is resolved at record
  // time (its unseen-pair count is then taken from the recorded pair counts below).
  const cardProfile = options.model.card.profile;
  const profile = createProfileAccumulator(
    cardProfile ? { seenPairs: decodeSeenPairs(cardProfile) } : {},
  );
  const pairRides = cardProfile ? null : new Float64Array(ZONE_SLOTS * ZONE_SLOTS);
  return {
    add(rows: TProfileRows, n = rows.pu.length): void {
      profile.add(rows, n);
      if (pairRides)
        for (let i = 0; i < n; i++) pairRides[pairIndexOf(rows.pu[i]!, rows.do[i]!)]!++;
    },
    /**
     * Store the run's drift (and its alert). With the run's RMSE for this model, an error far above
     * the card's validation RMSE raises a quality alert too (DEFAULT_QUALITY_THRESHOLDS ratios).
     */
    async record(run: {
      runId: string;
      periodStart: Date;
      rmse?: number | null;
    }): Promise<TDriftReport | null> {
      if (run.rmse !== undefined && run.rmse !== null) {
        await recordQualityAlert({
          pool: options.pool,
          runId: run.runId,
          modelName: options.model.name,
          modelVersion: options.model.version,
          role: options.role ?? 'production',
          rmse: run.rmse,
          referenceRmse: options.model.card.metrics.validation?.rmse ?? null,
          log: options.log,
        });
      }
      const resolved = await resolveReferenceProfile({
        ...options,
        card: options.model.card,
        model: options.model,
      });
      if (!resolved.profile) {
        options.log?.info({ runId: run.runId, reason: resolved.reason }, 'drift not measured');
        return null;
      }
      let current = profile.result();
      if (pairRides)
        current = { ...current, unseenPairRows: countUnseen(pairRides, resolved.profile) };
      return recordDrift({
        pool: options.pool,
        source: 'batch',
        scope: run.runId,
        periodStart: run.periodStart,
        modelName: options.model.name,
        modelVersion: options.model.version,
        role: options.role ?? 'production',
        reference: resolved.profile,
        current,
        thresholds: options.thresholds,
        log: options.log,
      });
    },
  };
}

/**
 * A batch run's RMSE against the RMSE the version was validated at: at or above the watch / alert
 * ratio, a `quality` alert (one per run and version), logged as monitoring.alert like drift's.
 */
export async function recordQualityAlert(input: {
  pool: TPool;
  runId: string;
  modelName: string;
  modelVersion: string;
  role: string;
  rmse: number;
  referenceRmse: number | null;
  thresholds?: TQualityThresholds;
  log?: TLog;
}): Promise<'ok' | 'watch' | 'alert' | null> {
  if (!input.referenceRmse || input.referenceRmse <= 0) return null;
  const limits = input.thresholds ?? DEFAULT_QUALITY_THRESHOLDS;
  const ratio = input.rmse / input.referenceRmse;
  const severity =
    ratio >= limits.rmseAlertRatio ? 'alert' : ratio >= limits.rmseWatchRatio ? 'watch' : null;
  if (!severity) return 'ok';
  const limit = severity === 'alert' ? limits.rmseAlertRatio : limits.rmseWatchRatio;
  const message = `${input.modelName} ${input.modelVersion} (${input.role}): ${severity} error on batch run ${input.runId}: RMSE ${input.rmse.toFixed(2)} min is ${ratio.toFixed(2)}x the validation RMSE ${input.referenceRmse.toFixed(2)} (${severity} at ${limit}x)`;
  const alert = await raiseAlert(input.pool, {
    kind: 'quality',
    severity,
    source: 'batch',
    scope: input.runId,
    modelName: input.modelName,
    modelVersion: input.modelVersion,
    message,
    details: { rmse: input.rmse, referenceRmse: input.referenceRmse, ratio },
  });
  (input.log ?? SILENT).warn(
    {
      event: 'monitoring.alert',
      kind: 'quality',
      alertId: alert.id,
      severity,
      model: input.modelName,
      version: input.modelVersion,
      source: 'batch',
      scope: input.runId,
    },
    message,
  );
  return severity;
}

function countUnseen(pairRides: Float64Array, reference: TReferenceProfile): number {
  const seen = decodeSeenPairs(reference);
  let unseen = 0;
  pairRides.forEach((n, pair) => {
    if (n > 0 && !(seen[pair >> 3]! & (1 << (pair & 7)))) unseen += n;
  });
  return unseen;
}

export type THistoryDriftResult = {
  source: 'online' | 'stream';
  modelName: string;
  modelVersion: string;
  role: string;
  rows: number;
  report: TDriftReport | null;
  /** Why no report (no reference profile). */
  reason?: string;
};

/**
 * The daily job: drift of every model version's scored online and stream predictions of one UTC
 * day, against its reference, stored per (source, day, version) with alerts. `getCard` reads the
 * registry's card (null = unknown version, skipped with the reason); `loadModel` lets a version
 * without a profile get one from its training month. Hour of week is not measured for these: the
 * history keeps no pickup time, and one day covers 24 of the week's 168 hours, so its mix would
 * always look drifted against a whole month's.
 */
export async function measureHistoryDrift(
  options: TObjectStoreOptions & {
    pool: TPool;
    /** The UTC day, YYYY-MM-DD. */
    day: string;
    getCard: (name: string, version: string) => Promise<TModelCard | null>;
    loadModel?: (
      name: string,
      version: string,
    ) => Promise<Pick<TScoringModel, 'predict'> & { close?: () => Promise<void> }>;
    thresholds?: Partial<TDriftThresholds>;
    log?: TLog;
  },
): Promise<THistoryDriftResult[]> {
  const from = new Date(`${options.day}T00:00:00.000Z`);
  if (Number.isNaN(from.getTime()) || !/^\d{4}-\d{2}-\d{2}$/.test(options.day))
    throw new Error(`day must be YYYY-MM-DD, got ${options.day}`);
  const to = new Date(from.getTime() + 86_400_000);
  const groups = await countHistoryForProfiles(options.pool, {
    from,
    to,
    distanceEdges: DISTANCE_BIN_EDGES,
    predictionEdges: PREDICTION_BIN_EDGES,
  });
  type TPopulation = {
    source: 'online' | 'stream';
    modelName: string;
    modelVersion: string;
    roles: Map<string, number>;
    current: TPopulationProfile;
    pairs: Map<number, number>;
  };
  const populations = new Map<string, TPopulation>();
  for (const g of groups) {
    const key = `${g.source}\u0000${g.modelName}\u0000${g.modelVersion}`;
    let p = populations.get(key);
    if (!p) {
      p = {
        source: g.source,
        modelName: g.modelName,
        modelVersion: g.modelVersion,
        roles: new Map(),
        pairs: new Map(),
        current: {
          rows: 0,
          distance: new Array<number>(DISTANCE_BIN_EDGES.length).fill(0),
          pickupZones: new Array<number>(ZONE_SLOTS).fill(0),
          dropoffZones: new Array<number>(ZONE_SLOTS).fill(0),
          hourOfWeek: new Array<number>(HOUR_OF_WEEK_SLOTS).fill(0),
          prediction: new Array<number>(PREDICTION_BIN_EDGES.length).fill(0),
        },
      };
      populations.set(key, p);
    }
    const c = p.current;
    const pu = g.pu ?? 0;
    const dropoff = g.do ?? 0;
    c.rows += g.rides;
    c.pickupZones[pu >= 1 && pu < ZONE_SLOTS ? pu : 0]! += g.rides;
    c.dropoffZones[dropoff >= 1 && dropoff < ZONE_SLOTS ? dropoff : 0]! += g.rides;
    c.hourOfWeek[UNKNOWN_HOUR_OF_WEEK]! += g.rides;
    if (g.distanceBin !== null) c.distance[g.distanceBin]! += g.rides;
    if (g.predictionBin !== null) c.prediction[g.predictionBin]! += g.rides;
    const pair = pairIndexOf(pu, dropoff);
    p.pairs.set(pair, (p.pairs.get(pair) ?? 0) + g.rides);
    p.roles.set(g.role, (p.roles.get(g.role) ?? 0) + g.rides);
  }

  const log = options.log ?? SILENT;
  const results: THistoryDriftResult[] = [];
  const sorted = [...populations.values()].sort((a, b) =>
    `${a.source}${a.modelVersion}`.localeCompare(`${b.source}${b.modelVersion}`),
  );
  for (const p of sorted) {
    const role = [...p.roles.entries()].sort((a, b) => b[1] - a[1])[0]![0];
    const base = {
      source: p.source,
      modelName: p.modelName,
      modelVersion: p.modelVersion,
      role,
      rows: p.current.rows,
    };
    const card = await options.getCard(p.modelName, p.modelVersion);
    if (!card) {
      results.push({ ...base, report: null, reason: 'version not in the registry' });
      continue;
    }
    let model: (Pick<TScoringModel, 'predict'> & { close?: () => Promise<void> }) | undefined;
    try {
      if (!card.profile && options.loadModel)
        model = await options.loadModel(p.modelName, p.modelVersion);
      const resolved = await resolveReferenceProfile({
        pool: options.pool,
        card,
        model,
        s3: options.s3,
        log,
      });
      if (!resolved.profile) {
        results.push({ ...base, report: null, reason: resolved.reason });
        continue;
      }
      const seen = decodeSeenPairs(resolved.profile);
      let unseenPairRows = 0;
      for (const [pair, n] of p.pairs)
        if (!(seen[pair >> 3]! & (1 << (pair & 7)))) unseenPairRows += n;
      const report = await recordDrift({
        pool: options.pool,
        source: p.source,
        scope: options.day,
        periodStart: from,
        modelName: p.modelName,
        modelVersion: p.modelVersion,
        role,
        reference: resolved.profile,
        current: { ...p.current, unseenPairRows },
        thresholds: options.thresholds,
        log,
      });
      results.push({ ...base, report });
    } finally {
      await model?.close?.().catch(() => undefined);
    }
  }
  return results;
}
