/**
 * Counters shown on /metrics. Rates are over a sliding window of one-second buckets so the
 * figure answers "how fast right now", not "on average since start".
 */
export function createConsumerMetrics(options: { windowSeconds?: number; now?: () => number } = {}) {
  const windowSeconds = options.windowSeconds ?? 10;
  const now = options.now ?? Date.now;
  const startedAt = now();
  const buckets = new Map<number, number>();
  const iteratorAgeMs = new Map<string, number>();
  const totals = {
    recordsReceived: 0,
    recordsScored: 0,
    recordsRejected: 0,
    recordsPublished: 0,
    publishFailures: 0,
    batchFailures: 0,
    deadLetters: 0,
    checkpoints: 0,
    leasesLost: 0,
  };
  let modelVersion: string | null = null;
  let lastBatchAt: number | null = null;

  function trim(second: number) {
    for (const key of buckets.keys()) if (key <= second - windowSeconds) buckets.delete(key);
  }

  return {
    totals,
    recordBatch(batch: { received: number; scored: number; rejected: number; published: number; publishFailed: number; modelVersion: string | null }) {
      const second = Math.floor(now() / 1000);
      buckets.set(second, (buckets.get(second) ?? 0) + batch.received);
      trim(second);
      totals.recordsReceived += batch.received;
      totals.recordsScored += batch.scored;
      totals.recordsRejected += batch.rejected;
      totals.deadLetters += batch.rejected;
      totals.recordsPublished += batch.published;
      totals.publishFailures += batch.publishFailed;
      if (batch.modelVersion) modelVersion = batch.modelVersion;
      lastBatchAt = now();
    },
    recordIteratorAge(shardId: string, millisBehindLatest: number | undefined) {
      if (millisBehindLatest !== undefined) iteratorAgeMs.set(shardId, millisBehindLatest);
    },
    forgetShard(shardId: string) {
      iteratorAgeMs.delete(shardId);
    },
    snapshot(extra: { shards: string[]; owner: string; isStopping: boolean }) {
      const current = now();
      const second = Math.floor(current / 1000);
      trim(second);
      // The current second is partial: rate over the full seconds of the window.
      let windowTotal = 0;
      for (const [key, count] of buckets) if (key < second) windowTotal += count;
      const seconds = Math.min(windowSeconds - 1, Math.max(1, Math.floor((current - startedAt) / 1000)));
      const cpu = process.cpuUsage();
      return {
        owner: extra.owner,
        /** CPU time this process used (user + system, all threads): capacity = records / cpuSeconds. */
        cpuSeconds: Math.round((cpu.user + cpu.system) / 1e3) / 1e3,
        status: extra.isStopping ? 'stopping' : 'running',
        uptimeSeconds: Math.round((current - startedAt) / 1000),
        shards: extra.shards,
        recordsPerSecond: Math.round(windowTotal / seconds),
        iteratorAgeMs: Object.fromEntries(iteratorAgeMs),
        maxIteratorAgeMs: Math.max(0, ...iteratorAgeMs.values()),
        modelVersion,
        lastBatchAt: lastBatchAt === null ? null : new Date(lastBatchAt).toISOString(),
        ...totals,
      };
    },
  };
}

export type TConsumerMetrics = ReturnType<typeof createConsumerMetrics>;
