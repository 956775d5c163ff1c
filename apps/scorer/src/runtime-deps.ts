// Real dependencies for the CLI, the scheduler and the launcher, built from the validated env.
import { replaceRunPredictions } from '@tripcast/db/batch-predictions';
import pg from 'pg';

import type { TWritePredictions } from './score-month';

export function createPool(databaseUrl: string): pg.Pool {
  // Few connections: one for the run record and heartbeat, one for the COPY.
  return new pg.Pool({ connectionString: databaseUrl, max: 3 });
}

/** The COPY writer of @tripcast/db: one run's rows replaced atomically. */
export const writePredictionsToPostgres: TWritePredictions = replaceRunPredictions;
