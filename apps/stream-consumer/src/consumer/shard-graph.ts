import type { TCheckpoint, TLease } from '@tripcast/db/queries/streams';

/** The part of a Kinesis `Shard` (ListShards) the lineage needs. */
export type TShardInfo = { shardId: string; parentShardId?: string; adjacentParentShardId?: string };

/**
 * Shards that may be read now: not finished, and every parent (split: one parent; merge: two)
 * either finished by us or gone from ListShards (trimmed after the retention period, so there
 * is nothing left to read). Reading a child only after its parents keeps per-key order across
 * resharding, as the KCL does.
 */
export function selectReadableShards(shards: TShardInfo[], checkpoints: Map<string, TCheckpoint>): TShardInfo[] {
  const listed = new Set(shards.map((shard) => shard.shardId));
  const isDone = (shardId: string | undefined) =>
    shardId === undefined || !listed.has(shardId) || checkpoints.get(shardId)?.isShardEnded === true;
  return shards.filter(
    (shard) =>
      checkpoints.get(shard.shardId)?.isShardEnded !== true &&
      isDone(shard.parentShardId) &&
      isDone(shard.adjacentParentShardId),
  );
}

export type TLeasePlan = { acquire: string[]; steal: { shardId: string; leaseCounter: number; from: string }[] };

/**
 * What this instance should take, given the readable shards and everyone's leases: its fair
 * share is ceil(readable / live instances). Free or expired shards first; then, when still
 * under its share, at most ONE live lease from the instance holding the most (above its share),
 * so the fleet converges over a few ticks without two instances trading a shard back and forth.
 * An instance that holds nothing is invisible to others until it steals once, which is enough.
 */
export function planLeases(options: { readable: TShardInfo[]; leases: TLease[]; owner: string }): TLeasePlan {
  const { readable, leases, owner } = options;
  const readableIds = new Set(readable.map((shard) => shard.shardId));
  const byShard = new Map(leases.map((lease) => [lease.shardId, lease]));
  const held = new Map<string, TLease[]>();
  for (const lease of leases) {
    if (!lease.isLive || lease.owner === null || !readableIds.has(lease.shardId)) continue;
    held.set(lease.owner, [...(held.get(lease.owner) ?? []), lease]);
  }
  const instances = new Set([...held.keys(), owner]).size;
  const share = Math.ceil(readableIds.size / instances);
  let mine = held.get(owner)?.length ?? 0;

  const acquire: string[] = [];
  for (const shard of readable) {
    if (mine >= share) break;
    const lease = byShard.get(shard.shardId);
    if (!lease || !lease.isLive) {
      acquire.push(shard.shardId);
      mine += 1;
    }
  }
  const steal: TLeasePlan['steal'] = [];
  if (mine < share) {
    const richest = [...held.entries()]
      .filter(([other]) => other !== owner)
      .sort((a, b) => b[1].length - a[1].length)[0];
    if (richest && richest[1].length > share) {
      const victim = richest[1][richest[1].length - 1]!;
      steal.push({ shardId: victim.shardId, leaseCounter: victim.leaseCounter, from: richest[0] });
    }
  }
  return { acquire, steal };
}
