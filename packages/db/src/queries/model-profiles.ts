// Reference profiles of versions whose card has none (trained before card.profile existed): computed
// once from the training month on first use, or recorded as unavailable with the reason, by
// @tripcast/model/monitoring-store.
import type { Pool } from 'pg';
import type { TDb } from '../client';

export type TStoredModelProfile = { profile: unknown; reason: string | null };

export async function getStoredModelProfile(
  pool: Pick<Pool, 'query'>,
  { modelName, modelVersion }: { modelName: string; modelVersion: string },
): Promise<TStoredModelProfile | null> {
  const { rows } = await pool.query<{ profile: unknown; reason: string | null }>(
    'SELECT profile, reason FROM model_profiles WHERE model_name = $1 AND model_version = $2',
    [modelName, modelVersion],
  );
  return rows[0] ?? null;
}

/** Store the computed profile, or none with the reason (profile null). */
export async function saveModelProfile(
  pool: Pick<Pool, 'query'>,
  input: { modelName: string; modelVersion: string; profile: unknown; reason?: string | null },
): Promise<void> {
  await pool.query(
    `INSERT INTO model_profiles (model_name, model_version, profile, reason) VALUES ($1, $2, $3::jsonb, $4)
     ON CONFLICT (model_name, model_version) DO UPDATE SET profile = EXCLUDED.profile, reason = EXCLUDED.reason, computed_at = now()`,
    [
      input.modelName,
      input.modelVersion,
      input.profile === null ? null : JSON.stringify(input.profile),
      input.reason ?? null,
    ],
  );
}

/** The same read through Prisma, for the console's drill-down (reference of an older version). */
export async function findModelProfile(
  db: TDb,
  { modelName, modelVersion }: { modelName: string; modelVersion: string },
): Promise<TStoredModelProfile | null> {
  return db.modelProfile.findUnique({
    where: { modelName_modelVersion: { modelName, modelVersion } },
    select: { profile: true, reason: true },
  });
}
