import type { THistoryRow, TInsertHistoryBatch } from './history-writer';

/** The slice of a `pg` Pool this needs (also satisfied by a pg Client). */
export type TSqlClient = {
  query(text: string, values: unknown[]): Promise<{ rowCount: number | null }>;
};

/**
 * One statement for the whole batch whatever its size: each column travels as ONE array parameter
 * and `unnest` zips them back into rows, so there is no 65,535-parameter ceiling and the statement
 * text is the same every time. ON CONFLICT on (source, idempotency_key) makes retries harmless.
 */
const INSERT_ONLINE_HISTORY_SQL = `
INSERT INTO prediction_history
  (source, status, idempotency_key, ride_id, pu_location_id, do_location_id, trip_distance,
   predicted_duration, model_name, model_version, latency_ms, created_at)
SELECT 'online'::"PredictionSource", 'scored'::"PredictionStatus", r.*
FROM unnest($1::text[], $2::text[], $3::smallint[], $4::smallint[], $5::real[], $6::real[],
            $7::text[], $8::text[], $9::real[], $10::timestamptz[]) AS r
ON CONFLICT (source, idempotency_key) DO NOTHING`;

export function createHistoryInserter(client: TSqlClient): TInsertHistoryBatch {
  return async (rows: readonly THistoryRow[]) => {
    if (rows.length === 0) return 0;
    const n = rows.length;
    const keys = new Array<string>(n);
    const rideIds = new Array<string | null>(n);
    const pu = new Array<number>(n);
    const dropoff = new Array<number>(n);
    const distance = new Array<number>(n);
    const predicted = new Array<number>(n);
    const modelNames = new Array<string>(n);
    const modelVersions = new Array<string>(n);
    const latency = new Array<number>(n);
    const createdAt = new Array<Date>(n);
    for (let i = 0; i < n; i++) {
      const row = rows[i]!;
      keys[i] = row.idempotencyKey;
      rideIds[i] = row.rideId;
      pu[i] = row.puLocationId;
      dropoff[i] = row.doLocationId;
      distance[i] = row.tripDistance;
      predicted[i] = row.predictedDuration;
      modelNames[i] = row.modelName;
      modelVersions[i] = row.modelVersion;
      latency[i] = row.latencyMs;
      createdAt[i] = row.createdAt;
    }
    const result = await client.query(INSERT_ONLINE_HISTORY_SQL, [
      keys,
      rideIds,
      pu,
      dropoff,
      distance,
      predicted,
      modelNames,
      modelVersions,
      latency,
      createdAt,
    ]);
    return result.rowCount ?? 0;
  };
}
