import type { TObjectStoreOptions } from '@tripcast/model/object-store';
import { getEnv } from '~/env';

/** Object-store options from the env: S3_ENDPOINT_URL switches to a course-style local S3. */
export function getStoreOptions(): TObjectStoreOptions {
  const env = getEnv();
  return env.S3_ENDPOINT_URL
    ? { s3: { endpoint: env.S3_ENDPOINT_URL, region: env.AWS_REGION } }
    : { s3: { region: env.AWS_REGION } };
}
