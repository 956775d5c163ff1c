// Figures for the overview: online and stream activity from prediction_history, the stream
// consumer's progress from stream_checkpoints. Aggregates in SQL so only numbers cross the wire.
import type { TDb } from '../db';

export type TSourceActivity = {
  /** Predictions in the window, per minute. */
  perMinute: number;
  count: number;
  rejected: number;
  p50LatencyMs: number | null;
  p95LatencyMs: number | null;
  lastAt: Date | null;
};

export type TActivityPoint = { minute: Date; online: number; stream: number };

export async function summarizeSourceActivity(
  db: TDb,
  opts: { windowMinutes: number; now?: Date },
) {
  const now = opts.now ?? new Date();
  const since = new Date(now.getTime() - opts.windowMinutes * 60_000);
  const rows = await db.$queryRawUnsafe<
    { source: string; count: bigint; rejected: bigint; p50: number | null; p95: number | null }[]
  >(
    `SELECT source::text AS source, count(*) AS count,
            count(*) FILTER (WHERE status = 'rejected') AS rejected,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) AS p50,
            percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) AS p95
       FROM prediction_history WHERE created_at >= $1 GROUP BY source`,
    since,
  );
  const last = await db.$queryRawUnsafe<{ source: string; at: Date | null }[]>(
    `SELECT s AS source, (SELECT max(created_at) FROM prediction_history WHERE source::text = s) AS at
       FROM unnest(ARRAY['online','stream']) s`,
  );
  const build = (source: string): TSourceActivity => {
    const r = rows.find((x) => x.source === source);
    const count = Number(r?.count ?? 0);
    return {
      perMinute: count / opts.windowMinutes,
      count,
      rejected: Number(r?.rejected ?? 0),
      p50LatencyMs: r?.p50 ?? null,
      p95LatencyMs: r?.p95 ?? null,
      lastAt: last.find((x) => x.source === source)?.at ?? null,
    };
  };
  return { windowMinutes: opts.windowMinutes, online: build('online'), stream: build('stream') };
}

/** Predictions per minute over the last `minutes`, zero-filled so the chart has no gaps. */
export async function listActivitySeries(
  db: TDb,
  opts: { minutes: number; now?: Date },
): Promise<TActivityPoint[]> {
  const now = opts.now ?? new Date();
  return db.$queryRawUnsafe<TActivityPoint[]>(
    `WITH m AS (
       SELECT generate_series(date_trunc('minute', $1::timestamptz) - ($2::int - 1) * interval '1 minute',
                              date_trunc('minute', $1::timestamptz), interval '1 minute') AS minute)
     SELECT m.minute,
            count(h.id) FILTER (WHERE h.source = 'online')::int AS online,
            count(h.id) FILTER (WHERE h.source = 'stream')::int AS stream
       FROM m LEFT JOIN prediction_history h
         ON h.created_at >= m.minute AND h.created_at < m.minute + interval '1 minute'
      GROUP BY m.minute ORDER BY m.minute`,
    now,
    opts.minutes,
  );
}

export const CHECKPOINT_SELECT = {
  streamName: true,
  shardId: true,
  sequenceNumber: true,
  isShardEnded: true,
  updatedAt: true,
} as const;

export async function listStreamCheckpoints(db: TDb) {
  return db.streamCheckpoint.findMany({
    select: CHECKPOINT_SELECT,
    orderBy: [{ streamName: 'asc' }, { shardId: 'asc' }],
  });
}

/**
 * Shards a consumer works on now: leases with an owner that have not expired. (Checkpoints only
 * exist once a shard has processed a record, and "ended" only says a shard was closed, so
 * counting checkpoints said "0 active shards" while consumers held both leases.)
 */
export async function summarizeShardLeases(db: TDb, opts: { now?: Date } = {}) {
  const now = opts.now ?? new Date();
  const [held, total] = await Promise.all([
    db.shardLease.count({ where: { owner: { not: null }, expiresAt: { gt: now } } }),
    db.shardLease.count(),
  ]);
  return { held, total };
}
