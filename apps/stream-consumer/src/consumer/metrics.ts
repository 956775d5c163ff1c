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
  /**
   * Shards holding records they have not checkpointed past yet: since when, how many (null when
   * the records could not even be read: GetRecords failing while the shard is behind), last error.
   */
  const waiting = new Map<string, { since: number; records: number | null; lastError: string | null }>();
  const totals = {
    recordsReceived: 0,
    recordsScored: 0,
    recordsRejected: 0,
    recordsPublished: 0,
    publishFailures: 0,
    batchFailures: 0,
    deadLetters: 0,
    /** History rows Postgres refused for their data: dead-lettered by the history sink, not retried. */
    historyRefused: 0,
    checkpoints: 0,
    leasesLost: 0,
  };
  let modelVersion: string | null = null;
  let lastBatchAt: number | null = null;
  /** Per challenger version: its totals and its state as of its last batch. */
  const challengers = new Map<
    string,
    { recordsScored: number; recordsPublished: number; publishFailures: number; batchesSkipped: number; lastError: string | null; lastErrorAt: string | null; lastBatchAt: string | null }
  >();
  /** Versions the model source lists now (a removed challenger drops out of /metrics). */
  let currentChallengers: { version: string; error: string | null }[] = [];

  function trim(second: number) {
    for (const key of buckets.keys()) if (key <= second - windowSeconds) buckets.delete(key);
  }

  /**
   * Shards that have held records without advancing for `thresholdMs` or more: a batch that
   * keeps failing (database refusing writes, output stream rejecting), so the shard is blocked.
   */
  function listStalledShards(thresholdMs: number) {
    const current = now();
    return [...waiting]
      .filter(([, entry]) => current - entry.since >= thresholdMs)
      .map(([shardId, entry]) => ({ shardId, stalledMs: current - entry.since, waitingRecords: entry.records, lastError: entry.lastError }));
  }

  return {
    totals,
    recordBatch(batch: { received: number; scored: number; rejected: number; published: number; publishFailed: number; historyRefused: number; modelVersion: string | null }) {
      const second = Math.floor(now() / 1000);
      buckets.set(second, (buckets.get(second) ?? 0) + batch.received);
      trim(second);
      totals.recordsReceived += batch.received;
      totals.recordsScored += batch.scored;
      totals.recordsRejected += batch.rejected;
      totals.deadLetters += batch.rejected + batch.historyRefused;
      totals.historyRefused += batch.historyRefused;
      totals.recordsPublished += batch.published;
      totals.publishFailures += batch.publishFailed;
      if (batch.modelVersion) modelVersion = batch.modelVersion;
      lastBatchAt = now();
    },
    /**
     * One batch's challenger results. Returns the versions whose error is new (changed since
     * their previous batch), so the caller logs a failure once, not once per batch.
     */
    recordChallengers(results: readonly { version: string; scored: number; published: number; publishFailed: number; error: string | null }[]): string[] {
      const changed: string[] = [];
      const at = new Date(now()).toISOString();
      for (const result of results) {
        const entry = challengers.get(result.version) ?? { recordsScored: 0, recordsPublished: 0, publishFailures: 0, batchesSkipped: 0, lastError: null, lastErrorAt: null, lastBatchAt: null };
        challengers.set(result.version, entry);
        entry.recordsScored += result.scored;
        entry.recordsPublished += result.published;
        entry.publishFailures += result.publishFailed;
        if (result.error && result.scored === 0) entry.batchesSkipped += 1;
        if (result.error !== entry.lastError && result.error) changed.push(result.version);
        entry.lastError = result.error;
        if (result.error) entry.lastErrorAt = at;
        entry.lastBatchAt = at;
      }
      return changed;
    },
    /** The model source's challengers now (called each snapshot: a load failure shows before any batch). */
    setCurrentChallengers(list: { version: string; error: string | null }[]) {
      currentChallengers = list;
    },
    /** Challengers that failed to load or to score their last batch (skipped; production unaffected). */
    listFailingChallengers() {
      return currentChallengers
        .map(({ version, error }) => ({ version, error: error ?? challengers.get(version)?.lastError ?? null }))
        .filter((entry) => entry.error !== null);
    },
    recordIteratorAge(shardId: string, millisBehindLatest: number | undefined) {
      if (millisBehindLatest !== undefined) iteratorAgeMs.set(shardId, millisBehindLatest);
    },
    /** A shard read `records` it has not checkpointed past yet (a batch in progress or being retried). */
    markShardWaiting(shardId: string, records: number) {
      const entry = waiting.get(shardId);
      if (entry) entry.records = records;
      else waiting.set(shardId, { since: now(), records, lastError: null });
    },
    markShardFailed(shardId: string, error: string) {
      const entry = waiting.get(shardId);
      if (entry) entry.lastError = error;
    },
    /** GetRecords failed: if the shard was behind (iterator age > 0), records are waiting unread. */
    markShardReadFailed(shardId: string, error: string) {
      const entry = waiting.get(shardId);
      if (entry) entry.lastError = error;
      else if ((iteratorAgeMs.get(shardId) ?? 0) > 0) waiting.set(shardId, { since: now(), records: null, lastError: error });
    },
    /** GetRecords answered: a wait for unreadable records is over (a batch in progress is not). */
    markShardReadOk(shardId: string) {
      if (waiting.get(shardId)?.records === null) waiting.delete(shardId);
    },
    /** The shard checkpointed past everything it had read. */
    markShardAdvanced(shardId: string) {
      waiting.delete(shardId);
    },
    listStalledShards,
    forgetShard(shardId: string) {
      iteratorAgeMs.delete(shardId);
      waiting.delete(shardId);
    },
    snapshot(extra: { shards: string[]; owner: string; isStopping: boolean; stallThresholdMs: number }) {
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
        stalledShards: listStalledShards(extra.stallThresholdMs),
        modelVersion,
        lastBatchAt: lastBatchAt === null ? null : new Date(lastBatchAt).toISOString(),
        /** Each challenger: loaded and scoring ('ok') or skipped ('failing', with why), and its totals. */
        challengers: currentChallengers.map(({ version, error }) => {
          const entry = challengers.get(version);
          const lastError = error ?? entry?.lastError ?? null;
          return {
            version,
            status: lastError ? 'failing' : 'ok',
            error: lastError,
            recordsScored: entry?.recordsScored ?? 0,
            recordsPublished: entry?.recordsPublished ?? 0,
            publishFailures: entry?.publishFailures ?? 0,
            batchesSkipped: entry?.batchesSkipped ?? 0,
            lastBatchAt: entry?.lastBatchAt ?? null,
          };
        }),
        ...totals,
      };
    },
  };
}

export type TConsumerMetrics = ReturnType<typeof createConsumerMetrics>;
