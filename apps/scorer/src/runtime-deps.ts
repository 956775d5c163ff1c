// Real dependencies for the CLI, the scheduler and the launcher, built from the validated env.
import type { TS3Options } from '@tripcast/model/object-store';
import type { Logger } from 'pino';
import pg from 'pg';

import type { TScorerEnv } from './env';
import type { TWritePredictions } from './score-month';

export function s3OptionsFrom(env: TScorerEnv): TS3Options {
  return { endpoint: env.S3_ENDPOINT_URL, region: env.AWS_REGION };
}

export function createPool(databaseUrl: string): pg.Pool {
  // Few connections: one for the run record and heartbeat, one for the COPY.
  return new pg.Pool({ connectionString: databaseUrl, max: 3 });
}

/** The COPY writer of @tripcast/db, loaded only when a run writes to Postgres. */
export async function loadPredictionWriter(log: Logger): Promise<TWritePredictions | null> {
  try {
    // A variable specifier: the scorer still builds while packages/db grows this entry.
    const specifier = '@tripcast/db/batch-predictions';
    const module = (await import(specifier)) as { replaceRunPredictions: TWritePredictions };
    return module.replaceRunPredictions;
  } catch (error) {
    log.warn({ err: error }, 'COPY writer @tripcast/db/batch-predictions unavailable: predictions go to Parquet only');
    return null;
  }
}
