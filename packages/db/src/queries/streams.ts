// Stream bookkeeping shared by consumers: per-shard checkpoints and time-bounded shard leases.
// Leases use a counter that every renewal or takeover bumps, so a conditional update on it
// tells an owner, race-free, whether it still holds the shard.
import type { TSqlClient } from './history';

export type TShardKey = { streamName: string; shardId: string };
export type TCheckpoint = TShardKey & { sequenceNumber: string | null; isShardEnded: boolean };
export type TShardLease = TShardKey & {
  owner: string | null;
  expiresAt: Date;
  leaseCounter: number;
};

type TLeaseRow = {
  stream_name: string;
  shard_id: string;
  owner: string | null;
  expires_at: Date;
  lease_counter: number;
};
const toLease = (row: TLeaseRow): TShardLease => ({
  streamName: row.stream_name,
  shardId: row.shard_id,
  owner: row.owner,
  expiresAt: row.expires_at,
  leaseCounter: row.lease_counter,
});

export async function getCheckpoint(
  sql: TSqlClient,
  { streamName, shardId }: TShardKey,
): Promise<TCheckpoint | null> {
  const { rows } = await sql.query<{ sequence_number: string | null; is_shard_ended: boolean }>(
    'SELECT sequence_number, is_shard_ended FROM stream_checkpoints WHERE stream_name = $1 AND shard_id = $2',
    [streamName, shardId],
  );
  const row = rows[0];
  return row
    ? { streamName, shardId, sequenceNumber: row.sequence_number, isShardEnded: row.is_shard_ended }
    : null;
}

export async function listCheckpoints(sql: TSqlClient, streamName: string): Promise<TCheckpoint[]> {
  const { rows } = await sql.query<{
    shard_id: string;
    sequence_number: string | null;
    is_shard_ended: boolean;
  }>(
    'SELECT shard_id, sequence_number, is_shard_ended FROM stream_checkpoints WHERE stream_name = $1 ORDER BY shard_id',
    [streamName],
  );
  return rows.map((row) => ({
    streamName,
    shardId: row.shard_id,
    sequenceNumber: row.sequence_number,
    isShardEnded: row.is_shard_ended,
  }));
}

/** Upserts a shard's checkpoint. Call it only after the records up to it are fully processed. */
export async function saveCheckpoint(
  sql: TSqlClient,
  { streamName, shardId, sequenceNumber, isShardEnded }: TCheckpoint,
): Promise<void> {
  await sql.query(
    `INSERT INTO stream_checkpoints (stream_name, shard_id, sequence_number, is_shard_ended, updated_at) VALUES ($1, $2, $3, $4, now())
     ON CONFLICT (stream_name, shard_id) DO UPDATE SET sequence_number = EXCLUDED.sequence_number, is_shard_ended = EXCLUDED.is_shard_ended, updated_at = now()`,
    [streamName, shardId, sequenceNumber, isShardEnded],
  );
}

/**
 * Takes the shard's lease for `owner` for `ttlMs` if it is free, expired, or already `owner`'s.
 * Returns the lease (with its new counter) or null when another owner holds it.
 */
export async function acquireShardLease(
  sql: TSqlClient,
  { streamName, shardId, owner, ttlMs }: TShardKey & { owner: string; ttlMs: number },
): Promise<TShardLease | null> {
  const { rows } = await sql.query<TLeaseRow>(
    `INSERT INTO shard_leases (stream_name, shard_id, owner, expires_at, lease_counter, updated_at)
     VALUES ($1, $2, $3, now() + make_interval(secs => $4 / 1000.0), 1, now())
     ON CONFLICT (stream_name, shard_id) DO UPDATE
       SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at, lease_counter = shard_leases.lease_counter + 1, updated_at = now()
       WHERE shard_leases.owner IS NULL OR shard_leases.owner = EXCLUDED.owner OR shard_leases.expires_at < now()
     RETURNING stream_name, shard_id, owner, expires_at, lease_counter`,
    [streamName, shardId, owner, ttlMs],
  );
  return rows[0] ? toLease(rows[0]) : null;
}

/** Extends a held lease; null when it was taken over since `leaseCounter` (stop processing). */
export async function renewShardLease(
  sql: TSqlClient,
  {
    streamName,
    shardId,
    owner,
    leaseCounter,
    ttlMs,
  }: TShardKey & { owner: string; leaseCounter: number; ttlMs: number },
): Promise<TShardLease | null> {
  const { rows } = await sql.query<TLeaseRow>(
    `UPDATE shard_leases SET expires_at = now() + make_interval(secs => $5 / 1000.0), lease_counter = lease_counter + 1, updated_at = now()
     WHERE stream_name = $1 AND shard_id = $2 AND owner = $3 AND lease_counter = $4
     RETURNING stream_name, shard_id, owner, expires_at, lease_counter`,
    [streamName, shardId, owner, leaseCounter, ttlMs],
  );
  return rows[0] ? toLease(rows[0]) : null;
}

/** Gives a lease up (on shutdown) so another consumer can take the shard at once. */
export async function releaseShardLease(
  sql: TSqlClient,
  { streamName, shardId, owner }: TShardKey & { owner: string },
): Promise<boolean> {
  const { rowCount } = await sql.query(
    'UPDATE shard_leases SET owner = NULL, expires_at = now(), updated_at = now() WHERE stream_name = $1 AND shard_id = $2 AND owner = $3',
    [streamName, shardId, owner],
  );
  return (rowCount ?? 0) > 0;
}

export async function listShardLeases(sql: TSqlClient, streamName: string): Promise<TShardLease[]> {
  const { rows } = await sql.query<TLeaseRow>(
    'SELECT stream_name, shard_id, owner, expires_at, lease_counter FROM shard_leases WHERE stream_name = $1 ORDER BY shard_id',
    [streamName],
  );
  return rows.map(toLease);
}
