// Prediction history of the online and streaming paths: read by the console, written in
// batches by the prediction API and the stream consumer.
import type pg from 'pg';
import type { Prisma, TDb } from '../client';
import { isDataRefusal } from '../connection-errors';
import type { PredictionSource, PredictionStatus } from '../generated/prisma/enums';
import { recordDeadLetters } from './dead-letters';
import type { TPage } from './runs';

export const PREDICTION_HISTORY_SELECT = {
  id: true,
  source: true,
  status: true,
  rideId: true,
  puLocationId: true,
  doLocationId: true,
  tripDistance: true,
  predictedDuration: true,
  modelName: true,
  modelVersion: true,
  latencyMs: true,
  reason: true,
  createdAt: true,
} as const satisfies Prisma.PredictionHistorySelect;

export type TPredictionHistoryRow = Prisma.PredictionHistoryGetPayload<{
  select: typeof PREDICTION_HISTORY_SELECT;
}>;

export type TListHistoryOptions = {
  limit: number;
  /** id (as a string) of the last row of the previous page. */
  cursor?: string | null;
  source?: PredictionSource;
  status?: PredictionStatus;
  modelVersion?: string;
  /** Predictions whose trip starts or ends in this TLC zone. */
  zoneId?: number;
  /** createdAt >= from */
  from?: Date;
  /** createdAt < to */
  to?: Date;
};

/** Newest first, keyset-paged, with the console's filters (each backed by an index). */
export async function listHistory(
  db: TDb,
  { limit, cursor, source, status, modelVersion, zoneId, from, to }: TListHistoryOptions,
): Promise<TPage<TPredictionHistoryRow>> {
  const rows = await db.predictionHistory.findMany({
    select: PREDICTION_HISTORY_SELECT,
    where: {
      source,
      status,
      modelVersion,
      ...(from || to ? { createdAt: { gte: from, lt: to } } : {}),
      ...(zoneId == null ? {} : { OR: [{ puLocationId: zoneId }, { doLocationId: zoneId }] }),
    },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: limit + 1,
    ...(cursor ? { cursor: { id: BigInt(cursor) }, skip: 1 } : {}),
  });
  const hasMore = rows.length > limit;
  const items = hasMore ? rows.slice(0, limit) : rows;
  return { items, nextCursor: hasMore ? String(items.at(-1)?.id) : null };
}

/** Online and stream predictions of one ride id, newest first (index on ride_id). */
export async function findHistoryByRideId(
  db: TDb,
  { rideId, limit, source }: { rideId: string; limit: number; source?: PredictionSource },
): Promise<TPredictionHistoryRow[]> {
  return db.predictionHistory.findMany({
    select: PREDICTION_HISTORY_SELECT,
    where: { rideId, source },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: limit,
  });
}

export type THistoryInput = {
  source: PredictionSource;
  /** Unique per source: the stream's `<shard>/<sequence number>`, or a request's idempotency key. */
  idempotencyKey: string;
  status?: PredictionStatus;
  rideId?: string | null;
  puLocationId?: number | null;
  doLocationId?: number | null;
  tripDistance?: number | null;
  predictedDuration?: number | null;
  modelName?: string | null;
  modelVersion?: string | null;
  latencyMs?: number | null;
  reason?: string | null;
  /** Defaults to the database's now(). */
  createdAt?: Date | null;
};

/** Anything that runs a query: a pg Pool, a checked-out client, or one inside a transaction. */
export type TSqlClient = Pick<pg.Pool | pg.PoolClient, 'query'>;

const INSERT_HISTORY_BATCH = `
INSERT INTO prediction_history (source, status, idempotency_key, ride_id, pu_location_id, do_location_id, trip_distance,
                                predicted_duration, model_name, model_version, latency_ms, reason, created_at)
SELECT source, status, idempotency_key, ride_id, pu, "do", distance, predicted, model_name, model_version, latency, reason,
       COALESCE(created_at, now())
FROM unnest($1::"PredictionSource"[], $2::"PredictionStatus"[], $3::text[], $4::text[], $5::smallint[], $6::smallint[], $7::real[],
            $8::real[], $9::text[], $10::text[], $11::real[], $12::text[], $13::timestamptz[])
  AS input(source, status, idempotency_key, ride_id, pu, "do", distance, predicted, model_name, model_version, latency, reason, created_at)
ON CONFLICT (source, idempotency_key) DO NOTHING`;

/**
 * Writes a batch of history rows in one statement (one array parameter per column, so the
 * statement text does not grow with the batch). A row whose (source, idempotency key) is
 * already stored, in the table or earlier in the same batch, is skipped: a replayed stream
 * record or a retried request never makes a second row. Returns how many rows were new.
 */
export async function insertHistoryBatch(
  sql: TSqlClient,
  rows: readonly THistoryInput[],
): Promise<{ inserted: number; duplicates: number }> {
  if (rows.length === 0) return { inserted: 0, duplicates: 0 };
  const column = <T>(pick: (row: THistoryInput) => T) => rows.map(pick);
  const result = await sql.query(INSERT_HISTORY_BATCH, [
    column((row) => row.source),
    column((row) => row.status ?? 'scored'),
    column((row) => row.idempotencyKey),
    column((row) => row.rideId ?? null),
    column((row) => row.puLocationId ?? null),
    column((row) => row.doLocationId ?? null),
    column((row) => row.tripDistance ?? null),
    column((row) => row.predictedDuration ?? null),
    column((row) => row.modelName ?? null),
    column((row) => row.modelVersion ?? null),
    column((row) => row.latencyMs ?? null),
    column((row) => row.reason ?? null),
    column((row) => row.createdAt ?? null),
  ]);
  const inserted = result.rowCount ?? 0;
  return { inserted, duplicates: rows.length - inserted };
}

export type THistoryRefusal = { row: THistoryInput; reason: string };

export type TWriteHistoryResult = {
  inserted: number;
  duplicates: number;
  /** Rows Postgres refused for their data, kept in dead_letters with the reason. */
  refused: THistoryRefusal[];
};

/**
 * THE way both writers (the prediction API's buffer and the stream consumer) store history:
 * `insertHistoryBatch`, but one bad row never holds back the others. When Postgres refuses the
 * batch for its DATA (`isDataRefusal`: e.g. a NUL byte, 22021), the batch is split in halves
 * until the refused rows are found (log2(n) extra statements per bad row); the rest are written
 * and each refused row is kept in `dead_letters` (source = the row's source, payload = the row
 * as JSON, where a NUL is the escape `\u0000`; reason = Postgres's message). Any other error
 * (connection lost, timeout, server shutting down) is thrown unchanged, so the caller keeps
 * retrying the whole batch with backoff: idempotency keys make the retry harmless.
 *
 * Runs its statements one by one on `sql`: pass a pool or a client outside a transaction (a
 * refused statement would abort an enclosing transaction).
 */
export async function writeHistoryBatch(
  sql: TSqlClient,
  rows: readonly THistoryInput[],
): Promise<TWriteHistoryResult> {
  const refused: THistoryRefusal[] = [];
  let inserted = 0;

  async function write(part: readonly THistoryInput[]): Promise<void> {
    try {
      inserted += (await insertHistoryBatch(sql, part)).inserted;
    } catch (error) {
      if (!isDataRefusal(error)) throw error;
      if (part.length === 1) {
        refused.push({ row: part[0]!, reason: `history row refused by Postgres: ${(error as Error).message}` });
        return;
      }
      const middle = Math.ceil(part.length / 2);
      await write(part.slice(0, middle));
      await write(part.slice(middle));
    }
  }

  await write(rows);
  if (refused.length > 0) {
    await recordDeadLetters(
      sql,
      refused.map(({ row, reason }) => ({
        source: row.source,
        // Keyed by the row's idempotency key, so the letter can be matched to the prediction.
        sequenceNumber: row.idempotencyKey,
        payload: JSON.stringify(row),
        reason,
      })),
    );
  }
  return { inserted, duplicates: rows.length - inserted - refused.length, refused };
}
