// Per-run, per-model quality (table batch_run_model_metrics): what each model that scored a batch
// run (production and every challenger) achieved against the actual durations, and how far each
// challenger was from production. The scorer writes a run's rows when it succeeds (plain pg, as
// its other run writes); the run page, the Models page and monitoring read them here.
import type { Pool } from 'pg';
import { withTransaction, type Prisma, type TDb } from '../client';
import type { PredictionRole, TaxiType } from '../generated/prisma/enums';

export type TNewRunModelMetrics = {
  modelName: string;
  modelVersion: string;
  role: Extract<PredictionRole, 'production' | 'challenger'>;
  /** Why a challenger has no figures; null when it scored. */
  error: string | null;
  rowsScored: number;
  rowsWithActual: number;
  rmse: number | null;
  mae: number | null;
  bias: number | null;
  shareOff10Min: number | null;
  /** A challenger against production (see @tripcast/model/quality TAgreement); null for production. */
  agreement: unknown;
  outputUri: string | null;
};

const COLUMNS = [
  'run_key',
  'model_name',
  'model_version',
  'role',
  'error',
  'rows_scored',
  'rows_with_actual',
  'rmse',
  'mae',
  'bias',
  'share_off_10_min',
  'agreement',
  'output_uri',
] as const;

/** Replaces the run's rows with `metrics` in one transaction (a rerun's figures replace the last). */
export async function replaceRunModelMetrics(
  pool: Pool,
  runKey: number,
  metrics: readonly TNewRunModelMetrics[],
): Promise<void> {
  await withTransaction(pool, async (client) => {
    await client.query('DELETE FROM batch_run_model_metrics WHERE run_key = $1', [runKey]);
    for (const m of metrics) {
      await client.query(
        `INSERT INTO batch_run_model_metrics (${COLUMNS.join(', ')})
         VALUES ($1, $2, $3, $4::"PredictionRole", $5, $6, $7, $8, $9, $10, $11, $12::jsonb, $13)`,
        [
          runKey,
          m.modelName,
          m.modelVersion,
          m.role,
          m.error,
          m.rowsScored,
          m.rowsWithActual,
          m.rmse,
          m.mae,
          m.bias,
          m.shareOff10Min,
          m.agreement === null || m.agreement === undefined ? null : JSON.stringify(m.agreement),
          m.outputUri,
        ],
      );
    }
  });
}

const RUN_MODEL_METRICS_SELECT = {
  modelName: true,
  modelVersion: true,
  role: true,
  error: true,
  rowsScored: true,
  rowsWithActual: true,
  rmse: true,
  mae: true,
  bias: true,
  shareOff10Min: true,
  agreement: true,
  outputUri: true,
} as const satisfies Prisma.BatchRunModelMetricsSelect;

export type TRunModelMetrics = Prisma.BatchRunModelMetricsGetPayload<{
  select: typeof RUN_MODEL_METRICS_SELECT;
}>;

/** The run's models: production first, then challengers by version. */
export async function listRunModelMetrics(db: TDb, runKey: number): Promise<TRunModelMetrics[]> {
  const rows = await db.batchRunModelMetrics.findMany({
    where: { runKey },
    select: RUN_MODEL_METRICS_SELECT,
    orderBy: [{ role: 'asc' }, { modelVersion: 'asc' }],
  });
  return rows;
}

export type TMonthlyModelMetrics = {
  taxiType: TaxiType;
  year: number;
  month: number;
  modelVersion: string;
  role: PredictionRole;
  rmse: number | null;
  mae: number | null;
  bias: number | null;
  shareOff10Min: number | null;
  rowsWithActual: number;
  /** The run the figures come from: the latest succeeded run of that month that this version scored. */
  runId: string;
  finishedAt: Date | null;
};

/**
 * Error month by month of the versions of `modelName` (all, or `versions`): for each scored month
 * and version, the figures of the latest succeeded run it scored (reruns and backfills replace
 * earlier runs of the month). Ordered by month, then version.
 */
export async function listMonthlyModelMetrics(
  db: TDb,
  options: { modelName: string; versions?: readonly string[]; taxiType?: TaxiType },
): Promise<TMonthlyModelMetrics[]> {
  const params: unknown[] = [options.modelName];
  let filter = '';
  if (options.versions && options.versions.length > 0) {
    params.push([...options.versions]);
    filter += ` AND m.model_version = ANY($${params.length}::text[])`;
  }
  if (options.taxiType) {
    params.push(options.taxiType);
    filter += ` AND r.taxi_type = $${params.length}::"TaxiType"`;
  }
  return db
    .$queryRawUnsafe<TMonthlyModelMetrics[]>(
      `SELECT DISTINCT ON (r.taxi_type, r.year, r.month, m.model_version)
            r.taxi_type AS "taxiType", r.year, r.month, m.model_version AS "modelVersion", m.role,
            m.rmse, m.mae, m.bias, m.share_off_10_min AS "shareOff10Min", m.rows_with_actual AS "rowsWithActual",
            r.id AS "runId", r.finished_at AS "finishedAt"
     FROM batch_run_model_metrics m JOIN batch_runs r ON r.key = m.run_key
     WHERE m.model_name = $1 AND r.status = 'succeeded' AND m.error IS NULL${filter}
     ORDER BY r.taxi_type, r.year, r.month, m.model_version, r.finished_at DESC NULLS LAST`,
      ...params,
    )
    .then((rows) =>
      rows.sort(
        (a, b) =>
          a.year - b.year ||
          a.month - b.month ||
          a.taxiType.localeCompare(b.taxiType) ||
          a.modelVersion.localeCompare(b.modelVersion),
      ),
    );
}
