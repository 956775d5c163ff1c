import { s3OptionsFromEnv, type TObjectStoreOptions } from '@tripcast/model/object-store';
import { getEnv } from '~/env';

/** Object-store options from the env: S3_ENDPOINT_URL switches to a course-style local S3. */
export function getStoreOptions(): TObjectStoreOptions {
  return { s3: s3OptionsFromEnv(getEnv()) };
}
