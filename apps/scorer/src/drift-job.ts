// The daily drift job of online and stream predictions: a thin adapter that gives
// measureHistoryDrift (@tripcast/model/monitoring-store) the registry's cards and models. Run by
// `scorer drift` (EventBridge Scheduler on AWS) and by `scorer schedule`'s daily cron locally.
import { createDbClient } from '@tripcast/db/client';
import { getModelVersion } from '@tripcast/db/queries/models';
import { ZModelCard } from '@tripcast/model';
import { measureHistoryDrift, type THistoryDriftResult } from '@tripcast/model/monitoring-store';
import { s3OptionsFromEnv } from '@tripcast/model/object-store';
import { loadRegisteredModel } from '@tripcast/model/store';
import type { Logger } from 'pino';

import { driftThresholdsFromEnv, type TScorerEnv } from './env';
import { createPool } from './runtime-deps';

/** The UTC day before `now`, YYYY-MM-DD: what the daily job measures by default. */
export function previousUtcDay(now: Date): string {
  return new Date(now.getTime() - 86_400_000).toISOString().slice(0, 10);
}

export async function runDriftJob(options: {
  env: TScorerEnv;
  log: Logger;
  day: string;
}): Promise<THistoryDriftResult[]> {
  const { env, log } = options;
  if (!env.DATABASE_URL)
    throw new Error(
      'DATABASE_URL is required: the drift job reads prediction_history and writes model_drift',
    );
  const pool = createPool(env.DATABASE_URL);
  const db = createDbClient(env.DATABASE_URL, { max: 1, applicationName: 'tripcast-drift' });
  const s3 = s3OptionsFromEnv(env);
  try {
    const rowOf = async (name: string, version: string) => {
      const row = await getModelVersion(db, { name, version });
      if (!row) throw new Error(`${name}@${version} is not in the registry`);
      return row;
    };
    const results = await measureHistoryDrift({
      pool,
      day: options.day,
      s3,
      thresholds: driftThresholdsFromEnv(env),
      log,
      getCard: async (name, version) => {
        const row = await getModelVersion(db, { name, version });
        return row ? ZModelCard.parse(row.card) : null;
      },
      loadModel: async (name, version) => loadRegisteredModel(await rowOf(name, version), { s3 }),
    });
    for (const r of results) {
      log.info(
        {
          day: options.day,
          source: r.source,
          model: `${r.modelName}@${r.modelVersion}`,
          role: r.role,
          rows: r.rows,
          status: r.report?.status ?? 'not measured',
          maxPsi: r.report?.maxPsi,
          reason: r.reason,
        },
        'drift measured',
      );
    }
    return results;
  } finally {
    await db.$disconnect();
    await pool.end();
  }
}
