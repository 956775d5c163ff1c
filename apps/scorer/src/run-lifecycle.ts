// The run-record half of a batch run: create and claim the record, beat its heartbeat while the
// run works, then mark it succeeded or failed. Without a pool (no DATABASE_URL) every step is a
// no-op, so score-month.ts runs the same code either way.
import type { Logger } from 'pino';
import type { Pool } from 'pg';

import {
  claimRun,
  completeRun,
  createRunRecord,
  failRun,
  recordRunModel,
  recordRunProgress,
  type TNewRun,
  type TRunProgress,
} from '@tripcast/db/queries/runs';
import { replaceRunModelMetrics, type TNewRunModelMetrics } from '@tripcast/db/queries/run-metrics';
import type { TRunSummary } from './stats';

export type TRunCounters = {
  rowsRead: number;
  rowsScored: number;
  rowsRejected: number;
  totalRows: number;
};

export type TRunLifecycle = {
  /** The run's numeric key (batch_predictions.run_key); null without a database. */
  runKey: number | null;
  /** True when this process holds the run's claim (it has a database). */
  isClaimed: boolean;
  recordModel(model: { name: string; version: string }): Promise<void>;
  /** Stops the heartbeat and waits for a write in flight, so no late beat overwrites the final state. */
  stopHeartbeat(): Promise<void>;
  /** Records the run's per-model figures, then marks it succeeded. */
  succeed(input: {
    counters: TRunCounters;
    summary: TRunSummary & { timings: Record<string, number> };
    models: readonly TNewRunModelMetrics[];
  }): Promise<void>;
  /** Never throws: the run's own error is the one to report. */
  fail(message: string): Promise<void>;
};

export type TBeginRunOptions = {
  pool: Pool | null;
  log: Logger;
  run: TNewRun;
  /** Take over a run still marked running (its process was killed): skip the stale-heartbeat wait. */
  force?: boolean;
  staleAfterMs: number;
  heartbeatMs: number;
  /** Read at every beat: the live counters and the share of the run done. */
  readProgress: () => TRunCounters & { progress: number };
};

/** Creates (or finds) the run's record, claims it and starts its heartbeat. */
export async function beginRun(options: TBeginRunOptions): Promise<TRunLifecycle> {
  const { pool, run } = options;
  let heartbeat: NodeJS.Timeout | null = null;
  let lastBeat: Promise<void> = Promise.resolve();
  let runKey: number | null = null;

  if (pool) {
    await createRunRecord(pool, run);
    const claimed = await claimRun(pool, {
      runId: run.id,
      staleAfterMs: options.force ? 0 : options.staleAfterMs,
      inputUri: run.inputUri,
      outputUri: run.outputUri,
      rejectsUri: run.rejectsUri,
    });
    runKey = claimed.key;
    heartbeat = setInterval(() => {
      lastBeat = recordRunProgress(
        pool,
        run.id,
        options.readProgress() satisfies TRunProgress,
      ).catch((error: unknown) => options.log.warn({ err: error }, 'heartbeat write failed'));
    }, options.heartbeatMs);
    heartbeat.unref();
  }

  const stopHeartbeat = async () => {
    if (heartbeat) clearInterval(heartbeat);
    heartbeat = null;
    await lastBeat;
  };

  return {
    runKey,
    isClaimed: pool !== null,
    recordModel: async (model) => {
      if (pool) await recordRunModel(pool, run.id, model);
    },
    stopHeartbeat,
    succeed: async ({ counters, summary, models }) => {
      await stopHeartbeat();
      if (pool && runKey !== null) await replaceRunModelMetrics(pool, runKey, models);
      if (pool) await completeRun(pool, run.id, { ...counters, progress: 1, summary });
    },
    fail: async (message) => {
      await stopHeartbeat();
      if (pool) await failRun(pool, run.id, message).catch(() => undefined);
    },
  };
}
