// Model drift: one row per population (a batch run, or a UTC day of online / stream predictions)
// per model version, written by the scorer and the daily drift job (@tripcast/model/monitoring-store)
// and read by the console's Monitoring page and Overview.
import type { Pool } from 'pg';
import type { Prisma, TDb } from '../client';
import type { DriftSource, DriftStatus } from '../generated/prisma/enums';

const MODEL_DRIFT_SELECT = {
  id: true,
  source: true,
  scope: true,
  modelName: true,
  modelVersion: true,
  role: true,
  periodStart: true,
  rows: true,
  maxPsi: true,
  unseenPairShare: true,
  status: true,
  report: true,
  createdAt: true,
} as const satisfies Prisma.ModelDriftSelect;

export type TModelDriftRow = Prisma.ModelDriftGetPayload<{ select: typeof MODEL_DRIFT_SELECT }>;
export type TModelDriftDetail = TModelDriftRow & { current: Prisma.JsonValue };

export type TRecordModelDriftInput = {
  source: DriftSource;
  scope: string;
  modelName: string;
  modelVersion: string;
  role: string;
  periodStart: Date;
  rows: number;
  maxPsi: number;
  unseenPairShare: number | null;
  status: DriftStatus;
  report: unknown;
  current: unknown;
};

/** Insert, or replace the row of the same (source, scope, version): a rerun measures again. */
export async function recordModelDrift(
  pool: Pick<Pool, 'query'>,
  input: TRecordModelDriftInput,
): Promise<void> {
  await pool.query(
    `INSERT INTO model_drift (source, scope, model_name, model_version, role, period_start, rows, max_psi,
                              unseen_pair_share, status, report, current)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12::jsonb)
     ON CONFLICT (source, scope, model_name, model_version) DO UPDATE SET
       role = EXCLUDED.role, period_start = EXCLUDED.period_start, rows = EXCLUDED.rows,
       max_psi = EXCLUDED.max_psi, unseen_pair_share = EXCLUDED.unseen_pair_share,
       status = EXCLUDED.status, report = EXCLUDED.report, current = EXCLUDED.current,
       created_at = now()`,
    [
      input.source,
      input.scope,
      input.modelName,
      input.modelVersion,
      input.role,
      input.periodStart,
      input.rows,
      input.maxPsi,
      input.unseenPairShare,
      input.status,
      JSON.stringify(input.report),
      JSON.stringify(input.current),
    ],
  );
}

/**
 * One model name's drift rows, oldest period first (the Monitoring page's time axis): the newest
 * `limit` of them, so a long history drops its oldest periods, never its latest.
 */
export async function listModelDrift(
  db: TDb,
  {
    modelName,
    sources,
    limit = 2000,
  }: { modelName: string; sources?: DriftSource[]; limit?: number },
): Promise<TModelDriftRow[]> {
  const rows = await db.modelDrift.findMany({
    select: MODEL_DRIFT_SELECT,
    where: { modelName, ...(sources ? { source: { in: sources } } : {}) },
    orderBy: [{ periodStart: 'desc' }, { id: 'desc' }],
    take: limit,
  });
  return rows.reverse();
}

/** One row with the population's histograms (the drill-down). */
export async function getModelDrift(db: TDb, id: bigint): Promise<TModelDriftDetail | null> {
  return db.modelDrift.findUnique({
    where: { id },
    select: { ...MODEL_DRIFT_SELECT, current: true },
  });
}

/** The newest row of each of the given versions (the Overview's status per production model). */
export async function listLatestDriftByVersion(
  db: TDb,
  versions: { modelName: string; modelVersion: string }[],
): Promise<TModelDriftRow[]> {
  if (versions.length === 0) return [];
  return db.modelDrift.findMany({
    select: MODEL_DRIFT_SELECT,
    where: { OR: versions.map((v) => ({ modelName: v.modelName, modelVersion: v.modelVersion })) },
    distinct: ['modelName', 'modelVersion'],
    orderBy: [
      { modelName: 'asc' },
      { modelVersion: 'asc' },
      { periodStart: 'desc' },
      { createdAt: 'desc' },
    ],
  });
}
