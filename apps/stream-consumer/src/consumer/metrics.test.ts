// The stall bookkeeping behind /health, on a clock the test moves (no servers needed: the
// consumer tests exercise the same calls against kinesalite and Postgres).
import { describe, expect, it } from 'vitest';

import { createConsumerMetrics } from './metrics';

describe('createConsumerMetrics: stalled shards', () => {
  it('a batch held past the threshold is stalled, with its records and last error, until the shard advances', () => {
    let clock = 1_000_000;
    const metrics = createConsumerMetrics({ now: () => clock });
    metrics.markShardWaiting('s-0', 40);
    clock += 59_000;
    metrics.markShardFailed('s-0', 'connection refused');
    expect(metrics.listStalledShards(60_000)).toEqual([]);
    clock += 1_000;
    expect(metrics.listStalledShards(60_000)).toEqual([{ shardId: 's-0', stalledMs: 60_000, waitingRecords: 40, lastError: 'connection refused' }]);
    metrics.markShardAdvanced('s-0');
    expect(metrics.listStalledShards(0)).toEqual([]);
  });

  it('GetRecords failing while the shard is behind counts as waiting; while at the tip, or once a read succeeds, it does not', () => {
    let clock = 0;
    const metrics = createConsumerMetrics({ now: () => clock });
    metrics.recordIteratorAge('at-tip', 0);
    metrics.markShardReadFailed('at-tip', 'GetRecords: KMSAccessDeniedException');
    metrics.recordIteratorAge('behind', 5_000);
    metrics.markShardReadFailed('behind', 'GetRecords: KMSAccessDeniedException');
    clock += 2_000;
    expect(metrics.listStalledShards(1_000)).toEqual([{ shardId: 'behind', stalledMs: 2_000, waitingRecords: null, lastError: 'GetRecords: KMSAccessDeniedException' }]);
    metrics.markShardReadOk('behind');
    expect(metrics.listStalledShards(0)).toEqual([]);
  });
});
