// Prediction history: prediction_history rows (online, stream) are written in batches by the
// prediction API and the stream consumer; the History page and its CSV export read them together
// with batch_predictions (batch, timed by its run) through one UNION ALL. Raw SQL there because
// Prisma cannot express the union; every value is a bound parameter. REAL columns stay REAL (no
// float8 cast) so 21.3 reads back as 21.3, not 21.299999237060547.
import type pg from 'pg';
import type { Prisma, TDb } from '../client';
import { isDataRefusal } from '../connection-errors';
import type { PredictionRole, PredictionSource, PredictionStatus } from '../generated/prisma/enums';
import { recordDeadLetters } from './dead-letters';
import { numberArrayLiteral, textArrayLiteral, timestampArrayLiteral } from './array-literal';

const PREDICTION_HISTORY_SELECT = {
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
  role: true,
  reason: true,
  createdAt: true,
} as const satisfies Prisma.PredictionHistorySelect;

export type TPredictionHistoryRow = Prisma.PredictionHistoryGetPayload<{
  select: typeof PREDICTION_HISTORY_SELECT;
}>;

/** The three modes whose predictions the history shows. */
export const HISTORY_SOURCES = ['online', 'stream', 'batch'] as const;
export type THistorySource = (typeof HISTORY_SOURCES)[number];

/** The part a row's model played (prediction_history.role; batch rows: production's run or a challenger's rows). */
export const PREDICTION_ROLES = [
  'production',
  'challenger',
  'canary',
] as const satisfies readonly PredictionRole[];

/** The History page's filters (validated by the console's ZHistoryFilter at its edge). */
export type THistoryFilter = {
  sources: THistorySource[];
  /** Only predictions by this model version. */
  modelVersion?: string;
  /** Only rows whose model played one of these roles; all roles when absent. */
  roles?: PredictionRole[];
  /** Trips starting or ending in this TLC zone. */
  zoneId?: number;
  /** Predicted at or after. */
  from?: Date;
  /** Predicted before. */
  to?: Date;
};

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
  role: PredictionRole;
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
    if (filter.roles) where.push(`h.role::text = ANY(${bind(filter.roles)}::text[])`);
    if (filter.zoneId) {
      const z = bind(filter.zoneId);
      where.push(`(h.pu_location_id = ${z} OR h.do_location_id = ${z})`);
    }
    if (filter.from) where.push(`h.created_at >= ${bind(filter.from)}`);
    if (filter.to) where.push(`h.created_at < ${bind(filter.to)}`);
    parts.push(`SELECT h.source::text AS source, h.status::text AS status, h.created_at AS "predictedAt",
        h.ride_id AS "rideId", h.pu_location_id::int AS "puLocationId", h.do_location_id::int AS "doLocationId",
        h.trip_distance AS "tripDistance", h.predicted_duration AS "predictedDuration",
        NULL::real AS "actualDuration", h.model_version AS "modelVersion", h.role::text AS role, h.latency_ms AS "latencyMs",
        h.reason, NULL::text AS "runId", 0 AS "runKey", -h.id AS ord
      FROM prediction_history h WHERE ${where.join(' AND ')}
      ORDER BY h.created_at DESC, h.id DESC LIMIT ${bind(limit)}`);
  }
  // Both batch branches: succeeded runs timed by when they finished, in the period, of the version
  // (`versionColumn`), rows of the zone (on batch_predictions b).
  const at = 'COALESCE(r.finished_at, r.created_at)';
  const batchFilters = (versionColumn: string) => {
    const runWhere = ["r.status = 'succeeded'"];
    if (filter.modelVersion) runWhere.push(`${versionColumn} = ${bind(filter.modelVersion)}`);
    if (filter.from) runWhere.push(`${at} >= ${bind(filter.from)}`);
    if (filter.to) runWhere.push(`${at} < ${bind(filter.to)}`);
    const zoneWhere: string[] = [];
    if (filter.zoneId) {
      const z = bind(filter.zoneId);
      zoneWhere.push(`(b.pu_location_id = ${z} OR b.do_location_id = ${z})`);
    }
    return { runWhere, zoneWhere, limitParam: bind(limit) };
  };
  // batch_predictions holds production's rows; a run's challengers are in batch_challenger_predictions.
  if (filter.sources.includes('batch') && (!filter.roles || filter.roles.includes('production'))) {
    const { runWhere, zoneWhere, limitParam } = batchFilters('r.model_version');
    const rowWhere = ['b.run_key = r.key', ...zoneWhere];
    parts.push(`SELECT 'batch' AS source, 'scored' AS status, r.at AS "predictedAt",
        b.ride_id AS "rideId", b.pu_location_id::int AS "puLocationId", b.do_location_id::int AS "doLocationId",
        b.trip_distance AS "tripDistance", b.predicted_duration AS "predictedDuration",
        b.actual_duration AS "actualDuration", r.model_version AS "modelVersion", 'production' AS role, NULL::real AS "latencyMs",
        NULL::text AS reason, r.id AS "runId", r.key AS "runKey", b.row_index::bigint AS ord
      FROM (SELECT r.key, r.id, r.model_version, ${at} AS at FROM batch_runs r WHERE ${runWhere.join(' AND ')}
            ORDER BY at DESC, r.key DESC LIMIT ${limitParam}) r
      CROSS JOIN LATERAL (SELECT * FROM batch_predictions b WHERE ${rowWhere.join(' AND ')}
            ORDER BY b.row_index LIMIT ${limitParam}) b`);
  }
  if (filter.sources.includes('batch') && (!filter.roles || filter.roles.includes('challenger'))) {
    // The challengers that scored a run (batch_run_model_metrics), each row beside production's row
    // of the same ride for its fields.
    const { runWhere, zoneWhere, limitParam } = batchFilters('m.model_version');
    runWhere.push("m.role = 'challenger'", 'm.error IS NULL');
    const rowWhere = ['c.run_key = r.key', 'c.model_version = r.model_version', ...zoneWhere];
    parts.push(`SELECT 'batch' AS source, 'scored' AS status, r.at AS "predictedAt",
        x.ride_id AS "rideId", x.pu_location_id::int AS "puLocationId", x.do_location_id::int AS "doLocationId",
        x.trip_distance AS "tripDistance", x.predicted_duration AS "predictedDuration",
        x.actual_duration AS "actualDuration", r.model_version AS "modelVersion", 'challenger' AS role, NULL::real AS "latencyMs",
        NULL::text AS reason, r.id AS "runId", r.key AS "runKey", x.row_index::bigint AS ord
      FROM (SELECT r.key, r.id, m.model_version, ${at} AS at
            FROM batch_runs r JOIN batch_run_model_metrics m ON m.run_key = r.key WHERE ${runWhere.join(' AND ')}
            ORDER BY at DESC, r.key DESC, m.model_version LIMIT ${limitParam}) r
      CROSS JOIN LATERAL (SELECT c.row_index, c.predicted_duration, b.ride_id, b.pu_location_id, b.do_location_id,
              b.trip_distance, b.actual_duration
            FROM batch_challenger_predictions c
            JOIN batch_predictions b ON b.run_key = c.run_key AND b.row_index = c.row_index
            WHERE ${rowWhere.join(' AND ')} ORDER BY c.row_index LIMIT ${limitParam}) x`);
  }
  return { sql: parts.map((part) => `(${part})`).join('\nUNION ALL\n'), params, bind };
}

/** One page of history, newest first. `hasMore` instead of a total: counting millions of batch rows is not free. */
export async function listHistory(
  db: TDb,
  opts: { filter: THistoryFilter; page: number; pageSize: number },
): Promise<{ items: THistoryRow[]; hasMore: boolean }> {
  const skip = (opts.page - 1) * opts.pageSize;
  const { sql, params, bind } = buildHistorySql(opts.filter, skip + opts.pageSize + 1);
  const limit = bind(opts.pageSize + 1);
  const offset = bind(skip);
  const rows = await db.$queryRawUnsafe<(THistoryRow & { ord: bigint; runKey: number })[]>(
    // A batch ride has a production row and one row per challenger (same run, same ord): the
    // model version makes the order total, so OFFSET pages never repeat or skip a row.
    `SELECT * FROM (${sql}) u ORDER BY "predictedAt" DESC, "runKey" DESC, ord ASC, "modelVersion" ASC LIMIT ${limit} OFFSET ${offset}`,
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
  /**
   * The input's key, unique per source and model version: the stream's `<shard>/<sequence
   * number>`, or a request's idempotency key. Production and each challenger write the same key.
   */
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
  /** Default 'production'. */
  role?: PredictionRole;
  reason?: string | null;
  /** Defaults to the database's now(). */
  createdAt?: Date | null;
};

/** Anything that runs a query: a pg Pool, a checked-out client, or one inside a transaction. */
export type TSqlClient = Pick<pg.Pool | pg.PoolClient, 'query'>;

const INSERT_HISTORY_BATCH = `
INSERT INTO prediction_history (source, status, idempotency_key, ride_id, pu_location_id, do_location_id, trip_distance,
                                predicted_duration, model_name, model_version, latency_ms, reason, created_at, role)
SELECT source, status, idempotency_key, ride_id, pu, "do", distance, predicted, model_name, model_version, latency, reason,
       COALESCE(created_at, now()), role
FROM unnest($1::"PredictionSource"[], $2::"PredictionStatus"[], $3::text[], $4::text[], $5::smallint[], $6::smallint[], $7::real[],
            $8::real[], $9::text[], $10::text[], $11::real[], $12::text[], $13::timestamptz[], $14::"PredictionRole"[])
  AS input(source, status, idempotency_key, ride_id, pu, "do", distance, predicted, model_name, model_version, latency, reason, created_at, role)
ON CONFLICT (source, idempotency_key, model_version) DO NOTHING`;

/**
 * Writes a batch of history rows in one statement (one array parameter per column, sent as the
 * literal array-literal.ts builds, so the statement text does not grow with the batch). A row
 * whose (source, idempotency key, model version) is already stored, in the table or earlier in
 * the same batch, is skipped: a replayed stream record or a retried request never makes a second
 * row. Returns how many rows were new.
 */
export async function insertHistoryBatch(
  sql: TSqlClient,
  rows: readonly THistoryInput[],
): Promise<{ inserted: number; duplicates: number }> {
  if (rows.length === 0) return { inserted: 0, duplicates: 0 };
  const result = await sql.query(INSERT_HISTORY_BATCH, [
    textArrayLiteral(rows, (row) => row.source),
    textArrayLiteral(rows, (row) => row.status ?? 'scored'),
    textArrayLiteral(rows, (row) => row.idempotencyKey),
    textArrayLiteral(rows, (row) => row.rideId),
    numberArrayLiteral(rows, (row) => row.puLocationId),
    numberArrayLiteral(rows, (row) => row.doLocationId),
    numberArrayLiteral(rows, (row) => row.tripDistance),
    numberArrayLiteral(rows, (row) => row.predictedDuration),
    textArrayLiteral(rows, (row) => row.modelName),
    textArrayLiteral(rows, (row) => row.modelVersion),
    numberArrayLiteral(rows, (row) => row.latencyMs),
    textArrayLiteral(rows, (row) => row.reason),
    timestampArrayLiteral(rows, (row) => row.createdAt),
    textArrayLiteral(rows, (row) => row.role ?? 'production'),
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
        refused.push({
          row: part[0]!,
          reason: `history row refused by Postgres: ${(error as Error).message}`,
        });
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

/** How a challenger's predictions agree with production's on the same inputs, per source. */
export type TChallengerAgreement = {
  source: 'online' | 'stream';
  /** Inputs both scored (the challenger's row joined to production's by idempotency key). */
  pairs: number;
  meanAbsDiffMinutes: number | null;
  p95AbsDiffMinutes: number | null;
  /** Share (0..1) of those inputs more than 5 minutes apart. */
  shareOver5Min: number | null;
  /** Mean recorded latency (online: the model call; stream: arrival to scored). */
  productionLatencyMs: number | null;
  challengerLatencyMs: number | null;
};

/**
 * Online and stream agreement of challenger `version` with production over [from, to): each
 * challenger row is paired with the production row of the same input (same source and
 * idempotency key, role production). Production's version may change within the period: the
 * pair is with whichever version answered that input.
 */
export async function compareChallengerAgreement(
  db: TDb,
  { modelName, version, from, to }: { modelName: string; version: string; from: Date; to: Date },
): Promise<TChallengerAgreement[]> {
  return db.$queryRawUnsafe<TChallengerAgreement[]>(
    `SELECT c.source::text AS source, count(*)::int AS pairs,
            avg(abs(c.predicted_duration - p.predicted_duration))::float8 AS "meanAbsDiffMinutes",
            percentile_cont(0.95) WITHIN GROUP (ORDER BY abs(c.predicted_duration - p.predicted_duration))::float8 AS "p95AbsDiffMinutes",
            avg((abs(c.predicted_duration - p.predicted_duration) > 5)::int)::float8 AS "shareOver5Min",
            avg(p.latency_ms)::float8 AS "productionLatencyMs",
            avg(c.latency_ms)::float8 AS "challengerLatencyMs"
       FROM prediction_history c
       JOIN prediction_history p
         ON p.source = c.source AND p.idempotency_key = c.idempotency_key AND p.role = 'production' AND p.status = 'scored'
      WHERE c.role = 'challenger' AND c.status = 'scored' AND c.model_name = $1 AND c.model_version = $2
        AND c.created_at >= $3 AND c.created_at < $4
      GROUP BY c.source ORDER BY c.source`,
    modelName,
    version,
    from,
    to,
  );
}

export type THistoryProfileGroup = {
  source: PredictionSource;
  modelName: string;
  modelVersion: string;
  role: PredictionRole;
  pu: number | null;
  do: number | null;
  /** Index into distanceEdges (NULL distance: null). */
  distanceBin: number | null;
  /** Index into predictionEdges. */
  predictionBin: number | null;
  rides: number;
};

/**
 * The daily drift job's read: scored online and stream predictions in [from, to), counted per
 * source, model version, role, zone pair, distance bin and prediction bin (bins: the edges given,
 * [edge_i, edge_i+1), values below the first edge in bin 0). One GROUP BY over the created_at
 * index; a day is a few thousand groups, never the rows themselves.
 */
export async function countHistoryForProfiles(
  pool: Pick<pg.Pool, 'query'>,
  options: {
    from: Date;
    to: Date;
    distanceEdges: readonly number[];
    predictionEdges: readonly number[];
  },
): Promise<THistoryProfileGroup[]> {
  const { rows } = await pool.query<{
    source: PredictionSource;
    model_name: string | null;
    model_version: string;
    role: PredictionRole;
    pu: number | null;
    do: number | null;
    dbin: number | null;
    pbin: number | null;
    rides: string;
  }>(
    `SELECT source, model_name, model_version, role, pu_location_id AS pu, do_location_id AS do,
            CASE WHEN trip_distance IS NULL THEN NULL ELSE greatest(width_bucket(trip_distance::float8, $3::float8[]) - 1, 0) END AS dbin,
            greatest(width_bucket(predicted_duration::float8, $4::float8[]) - 1, 0) AS pbin,
            count(*) AS rides
     FROM prediction_history
     WHERE status = 'scored' AND created_at >= $1 AND created_at < $2 AND model_version IS NOT NULL
     GROUP BY 1, 2, 3, 4, 5, 6, 7, 8`,
    [options.from, options.to, [...options.distanceEdges], [...options.predictionEdges]],
  );
  return rows.map((r) => ({
    source: r.source,
    modelName: r.model_name ?? '',
    modelVersion: r.model_version,
    role: r.role,
    pu: r.pu,
    do: r.do,
    distanceBin: r.dbin,
    predictionBin: r.pbin,
    rides: Number(r.rides),
  }));
}
