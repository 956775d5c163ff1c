import { describe, expect, it } from 'vitest';

import { readEnv } from './env';

describe('readEnv', () => {
  it('applies the course defaults and reads TEST_RUN=True as the course writes it', () => {
    const env = readEnv({ DATABASE_URL: 'postgres://x/y', TEST_RUN: 'True', MODEL_LOCATION: '' });
    expect(env).toMatchObject({
      INPUT_STREAM_NAME: 'ride_events',
      PREDICTIONS_STREAM_NAME: 'ride_predictions',
      MODEL_NAME: 'ride_duration_prediction_model',
      TEST_RUN: true,
      AWS_REGION: 'us-east-1',
    });
    expect(env.MODEL_LOCATION).toBeUndefined();
    expect(readEnv({ DATABASE_URL: 'postgres://x/y' }).TEST_RUN).toBe(false);
  });

  it('fails naming each bad variable', () => {
    expect(() => readEnv({ TEST_RUN: 'maybe', CONSUMER_BATCH_SIZE: '20000', KINESIS_ENDPOINT_URL: 'not a url' })).toThrow(
      /DATABASE_URL[\s\S]*KINESIS_ENDPOINT_URL[\s\S]*TEST_RUN[\s\S]*CONSUMER_BATCH_SIZE/,
    );
  });
});
