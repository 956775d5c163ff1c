import type { Pool } from 'pg';

import type { TDeadLetterRow, TDeadLetterWriter, THistoryRow, THistoryWriter } from '../core/types';

/**
 * prediction_history rows for the stream, one multi-row INSERT per batch (unnest of column
 * arrays: one round trip whatever the batch size). ON CONFLICT DO NOTHING on
 * (source, idempotency_key) makes a redelivered record a no-op.
 */
export function createPgHistoryWriter(pool: Pool): THistoryWriter {
  return {
    async insertStreamHistory(rows: THistoryRow[]) {
      await pool.query(
        `INSERT INTO prediction_history
           (source, status, idempotency_key, ride_id, pu_location_id, do_location_id, trip_distance,
            predicted_duration, model_name, model_version, latency_ms, reason)
         SELECT 'stream'::"PredictionSource", s::"PredictionStatus", k, r, pu, dl, d, p, mn, mv, l, rs
         FROM unnest($1::text[], $2::text[], $3::text[], $4::smallint[], $5::smallint[], $6::real[],
                     $7::real[], $8::text[], $9::text[], $10::real[], $11::text[])
              AS t(s, k, r, pu, dl, d, p, mn, mv, l, rs)
         ON CONFLICT (source, idempotency_key) DO NOTHING`,
        [
          rows.map((row) => row.status),
          rows.map((row) => row.idempotencyKey),
          rows.map((row) => row.rideId),
          rows.map((row) => row.puLocationId),
          rows.map((row) => row.doLocationId),
          rows.map((row) => row.tripDistance),
          rows.map((row) => row.predictedDuration),
          rows.map((row) => row.modelName),
          rows.map((row) => row.modelVersion),
          rows.map((row) => row.latencyMs),
          rows.map((row) => row.reason),
        ],
      );
    },
  };
}

/** dead_letters rows, idempotent on (source, stream, shard, sequence number). */
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
