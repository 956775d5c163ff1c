import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

import { ListShardsCommand } from '@aws-sdk/client-kinesis';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { Pool } from 'pg';
import type { Logger } from 'pino';

import type { THandlerDeps } from '../core/process-records';
import { reportChallengerFaults } from '@tripcast/db/queries/challenger-faults';
import { createLeaseStore } from '@tripcast/db/queries/streams';
import { createConsumerMetrics } from './metrics';
import { planLeases, selectReadableShards } from './shard-graph';
import type { TShardInfo } from './shard-graph';
import { runShardWorker } from './shard-worker';

/** How often a consumer refreshes its report of failing challengers when nothing changed. */
const FAULT_REFRESH_MS = 30_000;

export type TConsumerOptions = {
  kinesis: KinesisClient;
  pool: Pool;
  streamName: string;
  handler: THandlerDeps;
  log: Logger;
  /** Unique per process; defaults to host-pid-random. */
  owner?: string;
  /** A lease not renewed for this long is considered dead and may be taken over. */
  leaseTtlMs: number;
  batchSize: number;
  idlePollMs: number;
  initialPosition: 'TRIM_HORIZON' | 'LATEST';
  /** A shard holding records without advancing for this long makes /health unhealthy (default 60 s). */
  stallThresholdMs?: number;
};

export type TConsumerHealth = {
  isHealthy: boolean;
  reason: string | null;
  /**
   * Challengers skipped because they failed to load or to score: reported, but the consumer stays
   * healthy (production's output is unaffected; a restart would not fix a broken artifact).
   */
  failingChallengers: { version: string; error: string | null }[];
};

type TWorker = { isLost: boolean; done: Promise<void> };

/**
 * The standalone consumer: every tick (a third of the lease TTL) it renews its leases,
 * lists the shards, and takes its share of the readable ones (parents finished first); one
 * async reader per owned shard runs the shared handler core. `stop()` lets every reader finish
 * and checkpoint its batch, then releases the leases so another instance takes over at once.
 */
export function createConsumer(options: TConsumerOptions) {
  const { kinesis, streamName, log } = options;
  const owner = options.owner ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const leases = createLeaseStore({
    pool: options.pool,
    streamName,
    owner,
    leaseTtlMs: options.leaseTtlMs,
  });
  const metrics = createConsumerMetrics();
  const workers = new Map<string, TWorker>();
  const tickMs = Math.max(100, Math.floor(options.leaseTtlMs / 3));
  const stallThresholdMs = options.stallThresholdMs ?? 60_000;
  let isStopping = false;
  let timer: NodeJS.Timeout | undefined;
  let ticking: Promise<void> | null = null;
  let lastTickOkAt = 0;

  async function listShards(): Promise<TShardInfo[]> {
    const shards: TShardInfo[] = [];
    let nextToken: string | undefined;
    do {
      const response = await kinesis.send(
        new ListShardsCommand(nextToken ? { NextToken: nextToken } : { StreamName: streamName }),
      );
      for (const shard of response.Shards ?? []) {
        shards.push({
          shardId: shard.ShardId!,
          parentShardId: shard.ParentShardId,
          adjacentParentShardId: shard.AdjacentParentShardId,
        });
      }
      nextToken = response.NextToken;
    } while (nextToken);
    return shards;
  }

  function startWorker(shardId: string) {
    const worker: TWorker = { isLost: false, done: Promise.resolve() };
    workers.set(shardId, worker);
    worker.done = runShardWorker({
      kinesis,
      streamName,
      shardId,
      leases,
      handler: options.handler,
      metrics,
      log,
      batchSize: options.batchSize,
      idlePollMs: options.idlePollMs,
      initialPosition: options.initialPosition,
      shouldStop: () => isStopping || worker.isLost,
    })
      .then(async (end) => {
        if (end !== 'lease-lost') await leases.releaseLease(shardId);
        if (end === 'ended' && !isStopping) scheduleTick(0); // start the children now
      })
      .catch((error: unknown) => {
        log.error({ shardId, err: error }, 'shard worker crashed; the next tick restarts it');
      })
      .finally(() => {
        workers.delete(shardId);
        metrics.forgetShard(shardId);
      });
  }

  async function tick() {
    const held = await leases.renewLeases();
    for (const [shardId, worker] of workers) {
      if (!held.has(shardId) && !worker.isLost) {
        worker.isLost = true;
        metrics.totals.leasesLost += 1;
        log.warn({ shardId }, 'lease taken over by another instance; stopping after this batch');
      }
    }
    const [shards, checkpoints, allLeases] = await Promise.all([
      listShards(),
      leases.listCheckpoints(),
      leases.listLeases(),
    ]);
    const readable = selectReadableShards(shards, checkpoints);
    const readableIds = new Set(readable.map((shard) => shard.shardId));
    // Leases we hold without a reader (a crashed worker): read them again.
    for (const shardId of held)
      if (!workers.has(shardId) && readableIds.has(shardId)) startWorker(shardId);

    const plan = planLeases({ readable, leases: allLeases, owner });
    for (const shardId of plan.acquire) {
      if (isStopping) return;
      if (!workers.has(shardId) && (await leases.acquireLease(shardId))) {
        log.info({ shardId }, 'lease acquired');
        startWorker(shardId);
      }
    }
    for (const { shardId, leaseCounter, from } of plan.steal) {
      if (isStopping) return;
      if (!workers.has(shardId) && (await leases.stealLease(shardId, leaseCounter))) {
        log.info({ shardId, from }, 'lease taken over to balance the shards');
        startWorker(shardId);
      }
    }
    lastTickOkAt = Date.now();
    await reportFaults();
  }

  // The challengers this instance skips, for the console (another process): written when they
  // change and refreshed every FAULT_REFRESH_MS so the console can tell live reports from stale ones.
  let reportedFaults = '[]';
  let reportedAt = 0;
  async function reportFaults() {
    syncChallengers();
    const faults = metrics
      .listFailingChallengers()
      .map(({ version, error }) => ({ modelVersion: version, error: error ?? 'failing' }));
    const text = JSON.stringify(faults);
    if (text === reportedFaults && Date.now() - reportedAt < FAULT_REFRESH_MS) return;
    try {
      await reportChallengerFaults(options.pool, { source: 'stream', instance: owner, faults });
      reportedFaults = text;
      reportedAt = Date.now();
    } catch (error) {
      log.warn({ err: error }, 'could not report failing challengers');
    }
  }

  function scheduleTick(delayMs: number) {
    if (isStopping) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (ticking) return scheduleTick(tickMs);
      ticking = tick()
        .catch((error: unknown) => log.error({ err: error }, 'lease tick failed'))
        .finally(() => {
          ticking = null;
          scheduleTick(tickMs);
        });
    }, delayMs);
  }

  /**
   * Unhealthy while stopping, when the lease loop has not completed a tick within the lease
   * TTL, or when a shard has held records without advancing for `stallThresholdMs` (a batch
   * that keeps failing blocks its shard: retrying is right, but someone must be told).
   */
  function health(): Omit<TConsumerHealth, 'failingChallengers'> {
    if (isStopping) return { isHealthy: false, reason: 'stopping' };
    const sinceTickMs = Date.now() - lastTickOkAt;
    if (sinceTickMs >= options.leaseTtlMs) {
      return {
        isHealthy: false,
        reason:
          lastTickOkAt === 0
            ? 'starting: no lease tick completed yet'
            : `lease loop has not completed a tick for ${Math.round(sinceTickMs / 1000)} s (database or Kinesis unreachable?)`,
      };
    }
    const stalled = metrics.listStalledShards(stallThresholdMs);
    if (stalled.length > 0) {
      const reason = stalled
        .map(
          (shard) =>
            `shard ${shard.shardId} has not advanced for ${Math.round(shard.stalledMs / 1000)} s with ${shard.waitingRecords === null ? 'unread records waiting (it was behind the stream tip)' : `${shard.waitingRecords} records waiting`}${shard.lastError ? ` (last error: ${shard.lastError})` : ''}`,
        )
        .join('; ');
      return { isHealthy: false, reason };
    }
    return { isHealthy: true, reason: null };
  }

  /** The handler's challengers now, for /metrics and /health (a load failure shows before any batch). */
  function syncChallengers() {
    metrics.setCurrentChallengers(
      (options.handler.getChallengers?.() ?? []).map((slot) => ({
        version: slot.version,
        error: slot.model ? null : (slot.error ?? 'not loaded'),
      })),
    );
  }

  return {
    owner,
    metrics,
    start() {
      log.info({ owner, streamName, leaseTtlMs: options.leaseTtlMs }, 'consumer starting');
      scheduleTick(0);
    },
    snapshot() {
      syncChallengers();
      return metrics.snapshot({
        owner,
        shards: [...workers.keys()].sort(),
        isStopping,
        stallThresholdMs,
      });
    },
    /** health() plus the challengers being skipped (reported; they never make the consumer unhealthy). */
    health(): TConsumerHealth {
      syncChallengers();
      return { ...health(), failingChallengers: metrics.listFailingChallengers() };
    },
    /** Finish in-flight batches, checkpoint them, release every lease. */
    async stop() {
      if (isStopping) return;
      isStopping = true;
      clearTimeout(timer);
      await ticking;
      await Promise.all([...workers.values()].map((worker) => worker.done));
      // A stopped instance skips nothing: clear its report rather than let it age out.
      await reportChallengerFaults(options.pool, { source: 'stream', instance: owner, faults: [] }).catch(
        () => undefined,
      );
      log.info({ owner }, 'consumer stopped; leases released');
    },
  };
}

export type TConsumer = ReturnType<typeof createConsumer>;
