import { describe, expect, it } from 'vitest';

import type { TCheckpoint, TLease } from '@tripcast/db/queries/streams';
import { planLeases, selectReadableShards } from './shard-graph';

const ended = (...ids: string[]) => new Map<string, TCheckpoint>(ids.map((id) => [id, { shardId: id, sequenceNumber: '1', isShardEnded: true }]));
const lease = (shardId: string, owner: string | null, isLive = true, leaseCounter = 1): TLease => ({ shardId, owner, isLive, leaseCounter });

describe('selectReadableShards', () => {
  const split = [{ shardId: 'p' }, { shardId: 'c1', parentShardId: 'p' }, { shardId: 'c2', parentShardId: 'p' }];
  const merge = [{ shardId: 'a' }, { shardId: 'b' }, { shardId: 'm', parentShardId: 'a', adjacentParentShardId: 'b' }];

  it('holds split children back until the parent is finished', () => {
    expect(selectReadableShards(split, new Map()).map((s) => s.shardId)).toEqual(['p']);
    expect(selectReadableShards(split, ended('p')).map((s) => s.shardId)).toEqual(['c1', 'c2']);
  });

  it('holds a merged child back until BOTH parents are finished', () => {
    expect(selectReadableShards(merge, ended('a')).map((s) => s.shardId)).toEqual(['b']);
    expect(selectReadableShards(merge, ended('a', 'b')).map((s) => s.shardId)).toEqual(['m']);
  });

  it('treats a parent trimmed from ListShards (past retention) as finished', () => {
    expect(selectReadableShards([{ shardId: 'c1', parentShardId: 'gone' }], new Map()).map((s) => s.shardId)).toEqual(['c1']);
  });
});

describe('planLeases', () => {
  const shards = ['s0', 's1', 's2', 's3', 's4'].map((shardId) => ({ shardId }));

  it('a lone instance takes every free shard', () => {
    expect(planLeases({ readable: shards, leases: [], owner: 'a' })).toEqual({ acquire: ['s0', 's1', 's2', 's3', 's4'], steal: [] });
  });

  it('takes expired leases of a dead instance', () => {
    const leases = shards.map((s) => lease(s.shardId, 'dead', false));
    expect(planLeases({ readable: shards, leases, owner: 'b' }).acquire).toHaveLength(5);
  });

  it('a newcomer steals ONE lease per tick from the busiest instance until the split is fair', () => {
    let leases = shards.map((s) => lease(s.shardId, 'a'));
    const plans = [];
    for (let tick = 0; tick < 4; tick++) {
      const plan = planLeases({ readable: shards, leases, owner: 'b' });
      plans.push(plan.steal.length);
      for (const { shardId } of plan.steal) leases = leases.map((l) => (l.shardId === shardId ? lease(shardId, 'b') : l));
    }
    expect(plans).toEqual([1, 1, 0, 0]);
    expect(leases.filter((l) => l.owner === 'b')).toHaveLength(2);
    // And the incumbent, now at its fair share of 3, does not steal back.
    expect(planLeases({ readable: shards, leases, owner: 'a' })).toEqual({ acquire: [], steal: [] });
  });

  it('never plans to take more than its share of free shards', () => {
    const leases = [lease('s0', 'a'), lease('s1', 'a')];
    expect(planLeases({ readable: shards, leases, owner: 'b' }).acquire).toEqual(['s2', 's3', 's4']);
    expect(planLeases({ readable: shards, leases: [...leases, lease('s2', 'b')], owner: 'c' }).acquire).toEqual(['s3', 's4']);
  });
});
