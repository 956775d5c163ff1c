// Challengers on the online path. Production answers (micro-batched, unchanged); after the
// response is sent, every challenger scores the same rides, batched across the requests of one
// event-loop turn (one model call per challenger per batch), and its predictions go to the
// history with role 'challenger'. A caller may ask for a version (X-Model-Version header or
// ?model_version=), and an optional canary share of requests is answered by a named challenger;
// both are recorded with role 'canary'.
import { performance } from 'node:perf_hooks';
import type { TRideColumns } from '@tripcast/model/features';
import type { THistoryRow, THistoryWriter } from './history-writer';
import { HttpError } from './http-error';
import type { TScoringModel } from '@tripcast/model/features';
import { concatRideColumns, createDirectScorer, type TRideScorer } from './ride-scorer';

/** A challenger as the watcher holds it (@tripcast/model/store's TChallengerState, structurally). */
export type TChallengerSlot = {
  version: string;
  model: TScoringModel | null;
  error: string | null;
};

export type TPredictRole = 'production' | 'canary';

export type TChallengerStatus = {
  version: string;
  status: 'ok' | 'error';
  error: string | null;
  ridesScored: number;
  batchesFailed: number;
};

export type TModelRouting = {
  /**
   * Which model answers a request: production's scorer, or the requested version / the canary
   * (a challenger, answered on its own direct scorer). Throws a 4xx naming the field for a
   * version that is not served, a 503 for a challenger that failed to load.
   */
  pick(request: { requestedVersion: string | null; field: string }): {
    score: TRideScorer;
    role: TPredictRole;
  };
  /** After the response: every challenger but the one that answered scores the request's rides. */
  shadow(columns: TRideColumns, rows: readonly THistoryRow[], answeredBy: string): void;
  /** For /api/v1/health: each challenger, loaded and scoring or failing (and why). */
  challengerStatus(): TChallengerStatus[];
};

/** How long challengers' work waits to be scored together (their rows are history, not answers). */
const SHADOW_WINDOW_MS = 20;
/** ... or until this many rides wait (bounds the memory and the size of one predict call). */
const SHADOW_MAX_RIDES = 8_192;

export function createModelRouting(options: {
  production: TRideScorer;
  getProductionVersion(): string | null;
  getChallengers(): readonly TChallengerSlot[];
  history: Pick<THistoryWriter, 'enqueue'>;
  /** Answer this share (0..1) of requests that name no version with challenger `version`. */
  canary?: { version: string; share: number } | null;
  random?: () => number;
  log?: (message: string) => void;
}): TModelRouting {
  const random = options.random ?? Math.random;
  const log = options.log ?? ((message) => console.warn(`[console] ${message}`));
  const directScorers = new WeakMap<TScoringModel, TRideScorer>();
  const totals = new Map<
    string,
    { ridesScored: number; batchesFailed: number; lastError: string | null }
  >();
  let pending: { columns: TRideColumns; rows: readonly THistoryRow[]; answeredBy: string }[] = [];
  let pendingRides = 0;
  let shadowTimer: NodeJS.Timeout | null = null;
  function flushShadow() {
    if (shadowTimer) clearTimeout(shadowTimer);
    shadowTimer = null;
    const batch = pending;
    pending = [];
    pendingRides = 0;
    if (batch.length > 0) void scoreChallengers(batch);
  }

  const scorerOf = (model: TScoringModel): TRideScorer => {
    let scorer = directScorers.get(model);
    if (!scorer) {
      scorer = createDirectScorer(() => model);
      directScorers.set(model, scorer);
    }
    return scorer;
  };
  const totalsOf = (version: string) => {
    let entry = totals.get(version);
    if (!entry)
      totals.set(version, (entry = { ridesScored: 0, batchesFailed: 0, lastError: null }));
    return entry;
  };

  function answerWith(slot: TChallengerSlot, field: string) {
    if (!slot.model)
      throw new HttpError({
        status: 503,
        code: 'model_unavailable',
        message: `${field}: challenger ${slot.version} failed to load (${slot.error ?? 'unknown error'})`,
      });
    return { score: scorerOf(slot.model), role: 'canary' as const };
  }

  async function scoreChallengers(batch: typeof pending): Promise<void> {
    for (const slot of options.getChallengers()) {
      const model = slot.model;
      const mine = batch.filter((entry) => entry.answeredBy !== slot.version);
      if (!model || mine.length === 0) continue;
      const entry = totalsOf(slot.version);
      try {
        const started = performance.now();
        const durations = await model.predict(concatRideColumns(mine.map((item) => item.columns)));
        const latencyMs = performance.now() - started;
        const rows: THistoryRow[] = [];
        let offset = 0;
        for (const item of mine) {
          for (const row of item.rows) {
            rows.push({
              ...row,
              predictedDuration: durations[offset++]!,
              modelName: model.name,
              modelVersion: model.version,
              latencyMs,
              role: 'challenger',
            });
          }
        }
        options.history.enqueue(rows);
        entry.ridesScored += rows.length;
        entry.lastError = null;
      } catch (error) {
        entry.batchesFailed += 1;
        const message = `predict failed: ${(error as Error).message}`;
        if (entry.lastError !== message)
          log(`challenger ${slot.version} skipped (production unaffected): ${message}`);
        entry.lastError = message;
      }
    }
  }

  return {
    pick({ requestedVersion, field }) {
      if (requestedVersion === null) {
        const canary = options.canary;
        if (canary && canary.share > 0 && random() < canary.share) {
          const slot = options
            .getChallengers()
            .find((challenger) => challenger.version === canary.version);
          // A canary that is not (or no longer) a loaded challenger: production answers.
          if (slot?.model) return { score: scorerOf(slot.model), role: 'canary' };
        }
        return { score: options.production, role: 'production' };
      }
      if (requestedVersion === options.getProductionVersion())
        return { score: options.production, role: 'production' };
      const slot = options
        .getChallengers()
        .find((challenger) => challenger.version === requestedVersion);
      if (slot) return answerWith(slot, field);
      const served = [
        options.getProductionVersion(),
        ...options.getChallengers().map((challenger) => challenger.version),
      ].filter(Boolean);
      throw new HttpError({
        status: 400,
        code: 'invalid_request',
        message: `${field}: version ${requestedVersion} is not served (production or a challenger): ${served.join(', ') || 'none'}`,
        issues: [
          { path: field, message: `must be one of ${served.join(', ') || '(none served)'}` },
        ],
      });
    },
    shadow(columns, rows, answeredBy) {
      if (options.getChallengers().length === 0) return;
      // Challengers score what arrived within SHADOW_WINDOW_MS in one call each: per request, the
      // calls would cost production's p99 (measured at 4,200 req/s: +4 ms with two challengers).
      if (pending.length === 0) shadowTimer = setTimeout(flushShadow, SHADOW_WINDOW_MS);
      pending.push({ columns, rows, answeredBy });
      pendingRides += columns.pu.length;
      if (pendingRides >= SHADOW_MAX_RIDES) flushShadow();
    },
    challengerStatus() {
      return options.getChallengers().map((slot) => {
        const entry = totals.get(slot.version);
        const error = slot.model ? (entry?.lastError ?? null) : (slot.error ?? 'not loaded');
        return {
          version: slot.version,
          status: error ? 'error' : 'ok',
          error,
          ridesScored: entry?.ridesScored ?? 0,
          batchesFailed: entry?.batchesFailed ?? 0,
        };
      });
    },
  };
}
