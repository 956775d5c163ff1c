// Prediction history across the three modes: prediction_history (online, stream) UNION ALL
// batch_predictions (batch, timed by its run). Raw SQL because Prisma cannot express the union;
// every value is a bound parameter. REAL columns stay REAL (no float8 cast) so 21.3 reads back as
// 21.3, not 21.299999237060547.
import { z } from 'zod';
import type { TDb } from '../db';

export const HISTORY_SOURCES = ['online', 'stream', 'batch'] as const;
export const ZHistorySource = z.enum(HISTORY_SOURCES).describe('Where the prediction was made');
export type THistorySource = z.infer<typeof ZHistorySource>;

export const ZHistoryFilter = z.object({
  sources: z
    .array(ZHistorySource)
    .min(1)
    .default([...HISTORY_SOURCES])
    .describe('Sources to include'),
  modelVersion: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .optional()
    .describe('Only predictions by this model version'),
  zoneId: z
    .number()
    .int()
    .min(1)
    .max(265)
    .optional()
    .describe('Trips starting or ending in this zone'),
  from: z.date().optional().describe('Predicted at or after'),
  to: z.date().optional().describe('Predicted before'),
});
export type THistoryFilter = z.infer<typeof ZHistoryFilter>;
export type THistoryFilterInput = z.input<typeof ZHistoryFilter>;

export type THistoryRow = {
  source: THistorySource;
  status: 'scored' | 'rejected';
  predictedAt: Date;
  rideId: string | null;
  puLocationId: number | null;
  doLocationId: number | null;
  tripDistance: number | null;
  predictedDuration: number | null;
  actualDuration: number | null;
  modelVersion: string | null;
  latencyMs: number | null;
  reason: string | null;
  runId: string | null;
};

/**
 * Each branch is ordered and limited to `limit` rows on its own, so a page never sorts whole
 * tables: history rows come off the created_at index, batch rows run by run (newest runs first,
 * at most `limit` of them) off each run's (run_key, row_index) primary key.
 */
function buildHistorySql(filter: THistoryFilter, limit: number) {
  const params: unknown[] = [];
  const bind = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const parts: string[] = [];
  const streamSources = filter.sources.filter((s) => s !== 'batch');
  if (streamSources.length > 0) {
    const where = [`h.source::text = ANY(${bind(streamSources)}::text[])`];
    if (filter.modelVersion) where.push(`h.model_version = ${bind(filter.modelVersion)}`);
    if (filter.zoneId) {
      const z = bind(filter.zoneId);
      where.push(`(h.pu_location_id = ${z} OR h.do_location_id = ${z})`);
    }
    if (filter.from) where.push(`h.created_at >= ${bind(filter.from)}`);
    if (filter.to) where.push(`h.created_at < ${bind(filter.to)}`);
    parts.push(`SELECT h.source::text AS source, h.status::text AS status, h.created_at AS "predictedAt",
        h.ride_id AS "rideId", h.pu_location_id::int AS "puLocationId", h.do_location_id::int AS "doLocationId",
        h.trip_distance AS "tripDistance", h.predicted_duration AS "predictedDuration",
        NULL::real AS "actualDuration", h.model_version AS "modelVersion", h.latency_ms AS "latencyMs",
        h.reason, NULL::text AS "runId", 0 AS "runKey", -h.id AS ord
      FROM prediction_history h WHERE ${where.join(' AND ')}
      ORDER BY h.created_at DESC, h.id DESC LIMIT ${bind(limit)}`);
  }
  if (filter.sources.includes('batch')) {
    const at = 'COALESCE(r.finished_at, r.created_at)';
    const runWhere = ["r.status = 'succeeded'"];
    if (filter.modelVersion) runWhere.push(`r.model_version = ${bind(filter.modelVersion)}`);
    if (filter.from) runWhere.push(`${at} >= ${bind(filter.from)}`);
    if (filter.to) runWhere.push(`${at} < ${bind(filter.to)}`);
    const rowWhere = ['b.run_key = r.key'];
    if (filter.zoneId) {
      const z = bind(filter.zoneId);
      rowWhere.push(`(b.pu_location_id = ${z} OR b.do_location_id = ${z})`);
    }
    const limitParam = bind(limit);
    parts.push(`SELECT 'batch' AS source, 'scored' AS status, r.at AS "predictedAt",
        b.ride_id AS "rideId", b.pu_location_id::int AS "puLocationId", b.do_location_id::int AS "doLocationId",
        b.trip_distance AS "tripDistance", b.predicted_duration AS "predictedDuration",
        b.actual_duration AS "actualDuration", r.model_version AS "modelVersion", NULL::real AS "latencyMs",
        NULL::text AS reason, r.id AS "runId", r.key AS "runKey", b.row_index::bigint AS ord
      FROM (SELECT r.key, r.id, r.model_version, ${at} AS at FROM batch_runs r WHERE ${runWhere.join(' AND ')}
            ORDER BY at DESC, r.key DESC LIMIT ${limitParam}) r
      CROSS JOIN LATERAL (SELECT * FROM batch_predictions b WHERE ${rowWhere.join(' AND ')}
            ORDER BY b.row_index LIMIT ${limitParam}) b`);
  }
  return { sql: parts.map((part) => `(${part})`).join('\nUNION ALL\n'), params, bind };
}

/** One page of history, newest first. `hasMore` instead of a total: counting millions of batch rows is not free. */
export async function listHistory(
  db: TDb,
  opts: { filter: THistoryFilter; page: number; pageSize: number },
) {
  const skip = (opts.page - 1) * opts.pageSize;
  const { sql, params, bind } = buildHistorySql(opts.filter, skip + opts.pageSize + 1);
  const limit = bind(opts.pageSize + 1);
  const offset = bind(skip);
  const rows = await db.$queryRawUnsafe<(THistoryRow & { ord: bigint; runKey: number })[]>(
    `SELECT * FROM (${sql}) u ORDER BY "predictedAt" DESC, "runKey" DESC, ord ASC LIMIT ${limit} OFFSET ${offset}`,
    ...params,
  );
  const hasMore = rows.length > opts.pageSize;
  const items: THistoryRow[] = (hasMore ? rows.slice(0, opts.pageSize) : rows).map(
    ({ ord: _ord, runKey: _runKey, ...row }) => row,
  );
  return { items, hasMore };
}

/** Rows for a CSV export, in pages of `batchSize`, up to `maxRows`. */
export async function* iterateHistory(
  db: TDb,
  opts: { filter: THistoryFilter; batchSize: number; maxRows: number },
) {
  let emitted = 0;
  for (let page = 1; emitted < opts.maxRows; page++) {
    const pageSize = Math.min(opts.batchSize, opts.maxRows - emitted);
    const { items, hasMore } = await listHistory(db, { filter: opts.filter, page, pageSize });
    yield items;
    emitted += items.length;
    if (!hasMore) return;
  }
}

/** Distinct model versions seen in history, for the filter's options. */
export async function listHistoryModelVersions(db: TDb): Promise<string[]> {
  const rows = await db.$queryRawUnsafe<{ v: string }[]>(
    `SELECT version AS v FROM model_versions
     UNION SELECT DISTINCT model_version FROM batch_runs WHERE model_version IS NOT NULL
     ORDER BY 1 DESC`,
  );
  return rows.map((r) => r.v);
}
