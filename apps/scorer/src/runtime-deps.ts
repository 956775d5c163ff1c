// Real dependencies for the CLI, the scheduler and the launcher, built from the validated env.
import { S3Client } from '@aws-sdk/client-s3';
import { replaceRunPredictions } from '@tripcast/db/batch-predictions';
import type { TS3Options } from '@tripcast/model/object-store';
import pg from 'pg';

import type { TScorerEnv } from './env';
import type { TWritePredictions } from './score-month';

export function s3OptionsFrom(env: TScorerEnv): TS3Options {
  // Our own client: checksums only when required, because the SDK's default for streamed
  // uploads (aws-chunked bodies with a trailing checksum) is stored verbatim, trailer and all,
  // by S3-compatible servers that do not speak it (s3rver: a Parquet file ending in "\r\n\r\n").
  const client = new S3Client({
    region: env.AWS_REGION,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...(env.S3_ENDPOINT_URL ? { endpoint: env.S3_ENDPOINT_URL, forcePathStyle: true } : {}),
  });
  return { client, endpoint: env.S3_ENDPOINT_URL, region: env.AWS_REGION };
}

export function createPool(databaseUrl: string): pg.Pool {
  // Few connections: one for the run record and heartbeat, one for the COPY.
  return new pg.Pool({ connectionString: databaseUrl, max: 3 });
}

/** The COPY writer of @tripcast/db: one run's rows replaced atomically. */
export const writePredictionsToPostgres: TWritePredictions = replaceRunPredictions;
