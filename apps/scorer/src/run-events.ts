// Tells other applications that a run finished: builds the event from the run record and hands it
// to @tripcast/events' publishRunFinished (EventBridge when RUN_EVENTS_BUS_NAME is set, a signed
// webhook when RUN_WEBHOOK_URL and RUN_WEBHOOK_SECRET are). A thin adapter: it never throws, so a
// target that is down never fails a run (the deliveries are recorded in webhook_deliveries).
import { createEventBridgeClient, publishRunFinished } from '@tripcast/events';
import type { TRunEventsConfig, TRunFinishedDetail } from '@tripcast/events';
import type { Logger } from 'pino';
import type pg from 'pg';

import type { TScorerEnv } from './env';
import type { TMonth } from './month';
import type { TTaxiType } from './paths';
import { getRunRecord } from '@tripcast/db/queries/runs';
import type { TScoreResult } from './score-month';

export type TRunFinished = TMonth & { runId: string; taxiType: TTaxiType } & (
    | { status: 'succeeded'; result: TScoreResult }
    | { status: 'failed'; error: unknown }
  );

export type TNotifyRunFinished = (run: TRunFinished) => Promise<void>;

/** Null when no target is configured (the default: nothing is sent). */
export function createRunFinishedNotifier(options: { env: TScorerEnv; pool: pg.Pool | null; log: Logger }): TNotifyRunFinished | null {
  const { env, pool, log } = options;
  const busName = env.RUN_EVENTS_BUS_NAME;
  // Created on the first event: the SDK is loaded only by a run that publishes one.
  let eventBridgeClient: ReturnType<typeof createEventBridgeClient> | null = null;
  const eventBridge = async () =>
    busName
      ? {
          client: await (eventBridgeClient ??= createEventBridgeClient({ region: env.AWS_REGION, endpoint: env.EVENTBRIDGE_ENDPOINT_URL })),
          busName,
        }
      : null;
  const config: Omit<TRunEventsConfig, 'eventBridge'> = {
    webhook:
      env.RUN_WEBHOOK_URL && env.RUN_WEBHOOK_SECRET
        ? {
            url: env.RUN_WEBHOOK_URL,
            secret: env.RUN_WEBHOOK_SECRET,
            maxAttempts: env.RUN_WEBHOOK_MAX_ATTEMPTS,
            baseDelayMs: env.RUN_WEBHOOK_RETRY_BASE_MS,
            timeoutMs: env.RUN_WEBHOOK_TIMEOUT_MS,
          }
        : null,
    sql: pool,
    log: (level, message, fields) => log[level](fields ?? {}, message),
  };
  if (!busName && !config.webhook) return null;

  return async (run) => {
    try {
      const detail = await buildDetail(pool, run);
      if (!detail) return;
      await publishRunFinished({ ...config, eventBridge: await eventBridge() }, detail);
    } catch (error) {
      log.warn({ runId: run.runId, err: error }, 'could not publish the run-finished event (the run itself is unaffected)');
    }
  };
}

/**
 * From the run record when there is a database (what the console and the views show), else from
 * the result or the error. A run this process did not finish (refused: another process holds it)
 * is not announced: its owner will announce it.
 */
async function buildDetail(pool: pg.Pool | null, run: TRunFinished): Promise<TRunFinishedDetail | null> {
  const record = pool ? await getRunRecord(pool, run.runId) : null;
  if (record) {
    if (record.status !== 'succeeded' && record.status !== 'failed') return null;
    return {
      runId: record.id,
      taxiType: record.taxiType,
      year: record.year,
      month: record.month,
      status: record.status,
      rowsRead: record.rowsRead,
      rowsScored: record.rowsScored,
      rowsRejected: record.rowsRejected,
      modelName: record.modelName,
      modelVersion: record.modelVersion,
      outputUri: record.status === 'succeeded' ? record.outputUri : null,
      rejectsUri: record.status === 'succeeded' ? record.rejectsUri : null,
      error: record.error,
      finishedAt: (record.finishedAt ?? new Date()).toISOString(),
    };
  }
  const base = { runId: run.runId, taxiType: run.taxiType, year: run.year, month: run.month, finishedAt: new Date().toISOString() };
  if (run.status === 'succeeded') {
    const { result } = run;
    return {
      ...base,
      status: 'succeeded',
      rowsRead: result.rowsRead,
      rowsScored: result.rowsScored,
      rowsRejected: result.rowsRejected,
      modelName: result.modelName,
      modelVersion: result.modelVersion,
      outputUri: result.outputUri,
      rejectsUri: result.rejectsUri,
      error: null,
    };
  }
  return {
    ...base,
    status: 'failed',
    rowsRead: 0,
    rowsScored: 0,
    rowsRejected: 0,
    modelName: null,
    modelVersion: null,
    outputUri: null,
    rejectsUri: null,
    error: run.error instanceof Error ? run.error.message : String(run.error),
  };
}

/** Waits for a run, announces how it ended (when a notifier is configured), and passes the outcome on unchanged. */
export async function announceRunFinished(
  notify: TNotifyRunFinished | null,
  scoring: Promise<TScoreResult>,
  run: TMonth & { runId: string; taxiType: TTaxiType },
): Promise<TScoreResult> {
  try {
    const result = await scoring;
    await notify?.({ ...run, status: 'succeeded', result });
    return result;
  } catch (error) {
    await notify?.({ ...run, status: 'failed', error });
    throw error;
  }
}
