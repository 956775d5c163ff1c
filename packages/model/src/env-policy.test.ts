import { describe, expect, it } from 'vitest';

import { withoutEmptyValues } from './env-policy';
import { s3OptionsFromEnv } from './object-store';

describe('the env policy every deployable shares', () => {
  it('treats an empty or blank variable as unset and keeps the rest as written', () => {
    expect(withoutEmptyValues({ A: '', B: '  ', C: 'x', D: undefined, E: ' y ' })).toEqual({ C: 'x', E: ' y ' });
  });

  it('derives S3 options from the region and, when set, the endpoint override', () => {
    expect(s3OptionsFromEnv({ AWS_REGION: 'eu-west-1' })).toEqual({ region: 'eu-west-1' });
    expect(s3OptionsFromEnv({ AWS_REGION: 'us-east-1', S3_ENDPOINT_URL: 'http://127.0.0.1:4569' })).toEqual({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:4569',
    });
  });
});
