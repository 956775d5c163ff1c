// Stream bookkeeping shared by consumers (tables shard_leases, stream_checkpoints): time-bounded
// shard leases and the checkpoints written under them. The one module for these tables.
import type { Pool } from 'pg';

export type TLease = {
  shardId: string;
  owner: string | null;
  isLive: boolean;
  leaseCounter: number;
};
export type TCheckpoint = { shardId: string; sequenceNumber: string | null; isShardEnded: boolean };

/**
 * Shard leases and checkpoints in Postgres (tables shard_leases, stream_checkpoints).
 *
 * Every ownership change is ONE conditional statement evaluated by Postgres on the current
 * row (ON CONFLICT DO UPDATE ... WHERE, UPDATE ... WHERE lease_counter = $n), and expiry is
 * judged by the database's clock (now()), so two instances never both hold a shard and
 * instance clock skew does not matter. A checkpoint is only written while the writer still
 * holds the lease (fenced), so an instance that lost its shard cannot move it backwards.
 */
export function createLeaseStore(options: {
  pool: Pool;
  streamName: string;
  owner: string;
  leaseTtlMs: number;
}) {
  const { pool, streamName, owner, leaseTtlMs } = options;

  return {
    owner,

    async listLeases(): Promise<TLease[]> {
      const { rows } = await pool.query<{
        shard_id: string;
        owner: string | null;
        is_live: boolean;
        lease_counter: number;
      }>(
        `SELECT shard_id, owner, (owner IS NOT NULL AND expires_at > now()) AS is_live, lease_counter
         FROM shard_leases WHERE stream_name = $1`,
        [streamName],
      );
      return rows.map((row) => ({
        shardId: row.shard_id,
        owner: row.owner,
        isLive: row.is_live,
        leaseCounter: row.lease_counter,
      }));
    },

    /** Take a shard that is free, expired or already ours. True when we hold it afterwards. */
    async acquireLease(shardId: string): Promise<boolean> {
      const { rowCount } = await pool.query(
        `INSERT INTO shard_leases (stream_name, shard_id, owner, expires_at, lease_counter, updated_at)
         VALUES ($1, $2, $3, now() + $4 * interval '1 millisecond', 1, now())
         ON CONFLICT (stream_name, shard_id) DO UPDATE
           SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at,
               lease_counter = shard_leases.lease_counter + 1, updated_at = now()
         WHERE shard_leases.owner IS NULL OR shard_leases.expires_at <= now() OR shard_leases.owner = EXCLUDED.owner`,
        [streamName, shardId, owner, leaseTtlMs],
      );
      return rowCount === 1;
    },

    /** Take a live lease from another instance (load balancing), only if nobody touched it since we looked. */
    async stealLease(shardId: string, expectedCounter: number): Promise<boolean> {
      const { rowCount } = await pool.query(
        `UPDATE shard_leases SET owner = $3, expires_at = now() + $4 * interval '1 millisecond',
                lease_counter = lease_counter + 1, updated_at = now()
         WHERE stream_name = $1 AND shard_id = $2 AND lease_counter = $5`,
        [streamName, shardId, owner, leaseTtlMs, expectedCounter],
      );
      return rowCount === 1;
    },

    /** Extend all our leases; returns the shards we still hold (a missing one was taken over). */
    async renewLeases(): Promise<Set<string>> {
      const { rows } = await pool.query<{ shard_id: string }>(
        `UPDATE shard_leases SET expires_at = now() + $3 * interval '1 millisecond', updated_at = now()
         WHERE stream_name = $1 AND owner = $2 RETURNING shard_id`,
        [streamName, owner, leaseTtlMs],
      );
      return new Set(rows.map((row) => row.shard_id));
    },

    async releaseLease(shardId: string): Promise<void> {
      await pool.query(
        `UPDATE shard_leases SET owner = NULL, expires_at = now(), updated_at = now()
         WHERE stream_name = $1 AND shard_id = $2 AND owner = $3`,
        [streamName, shardId, owner],
      );
    },

    async listCheckpoints(): Promise<Map<string, TCheckpoint>> {
      const { rows } = await pool.query<{
        shard_id: string;
        sequence_number: string | null;
        is_shard_ended: boolean;
      }>(
        `SELECT shard_id, sequence_number, is_shard_ended FROM stream_checkpoints WHERE stream_name = $1`,
        [streamName],
      );
      return new Map(
        rows.map((row) => [
          row.shard_id,
          {
            shardId: row.shard_id,
            sequenceNumber: row.sequence_number,
            isShardEnded: row.is_shard_ended,
          },
        ]),
      );
    },

    async getCheckpoint(shardId: string): Promise<TCheckpoint | null> {
      const { rows } = await pool.query<{
        sequence_number: string | null;
        is_shard_ended: boolean;
      }>(
        `SELECT sequence_number, is_shard_ended FROM stream_checkpoints WHERE stream_name = $1 AND shard_id = $2`,
        [streamName, shardId],
      );
      const row = rows[0];
      return row
        ? { shardId, sequenceNumber: row.sequence_number, isShardEnded: row.is_shard_ended }
        : null;
    },

    /**
     * Record that everything up to `sequenceNumber` is processed (and, with `isShardEnded`, that
     * the closed shard is finished so its children may start). False when we no longer hold the
     * lease: the caller must stop reading the shard.
     */
    async writeCheckpoint(
      shardId: string,
      sequenceNumber: string | null,
      isShardEnded = false,
    ): Promise<boolean> {
      const { rowCount } = await pool.query(
        `WITH lease AS (
           SELECT 1 FROM shard_leases
           WHERE stream_name = $1 AND shard_id = $2 AND owner = $3 AND expires_at > now()
           FOR SHARE
         )
         INSERT INTO stream_checkpoints (stream_name, shard_id, sequence_number, is_shard_ended, updated_at)
         SELECT $1, $2, $4, $5, now() WHERE EXISTS (SELECT 1 FROM lease)
         ON CONFLICT (stream_name, shard_id) DO UPDATE
           SET sequence_number = COALESCE(EXCLUDED.sequence_number, stream_checkpoints.sequence_number),
               is_shard_ended = EXCLUDED.is_shard_ended, updated_at = now()`,
        [streamName, shardId, owner, sequenceNumber, isShardEnded],
      );
      return rowCount === 1;
    },
  };
}

export type TLeaseStore = ReturnType<typeof createLeaseStore>;
