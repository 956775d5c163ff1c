import { insertHistoryBatch } from '@tripcast/db/queries/history';
import type { Pool } from 'pg';

import type { TDeadLetterRow, TDeadLetterWriter, THistoryRow, THistoryWriter } from '../core/types';

/**
 * prediction_history rows for the stream through @tripcast/db's insertHistoryBatch: one
 * statement per batch, ON CONFLICT (source, idempotency_key) DO NOTHING, so a redelivered
 * record is a no-op.
 */
export function createPgHistoryWriter(pool: Pool): THistoryWriter {
  return {
    async insertStreamHistory(rows: THistoryRow[]) {
      await insertHistoryBatch(
        pool,
        rows.map((row) => ({ source: 'stream', ...row })),
      );
    },
  };
}

/**
 * dead_letters rows, idempotent on (source, stream, shard, sequence number). Raw SQL rather
 * than the db package's Prisma-based recordDeadLetters: the consumer's hot path has no Prisma
 * client, and a payload holding NUL (which Postgres text cannot store) must not fail the batch.
 */
export function createPgDeadLetterWriter(pool: Pool): TDeadLetterWriter {
  return {
    async insertDeadLetters(rows: TDeadLetterRow[]) {
      await pool.query(
        `INSERT INTO dead_letters (source, stream_name, shard_id, sequence_number, payload, reason)
         SELECT 'stream', sn, sh, sq, p, r
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS t(sn, sh, sq, p, r)
         ON CONFLICT (source, stream_name, shard_id, sequence_number) DO NOTHING`,
        [
          rows.map((row) => row.streamName),
          rows.map((row) => row.shardId),
          rows.map((row) => row.sequenceNumber),
          // Postgres text cannot hold NUL: keep such payloads in base64 instead of failing the batch.
          rows.map((row) =>
            row.payload.includes('\u0000') ? `base64:${Buffer.from(row.payload, 'utf8').toString('base64')}` : row.payload,
          ),
          rows.map((row) => row.reason),
        ],
      );
    },
  };
}
