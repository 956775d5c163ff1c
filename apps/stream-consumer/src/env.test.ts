import { describe, expect, it, vi } from 'vitest';

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

  it('reads MODEL_WATCH_INTERVAL_MS, and the old MODEL_POLL_INTERVAL_MS with a deprecation warning', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      expect(readEnv({ DATABASE_URL: 'postgres://x/y' }).MODEL_WATCH_INTERVAL_MS).toBe(5_000);
      expect(readEnv({ DATABASE_URL: 'postgres://x/y', MODEL_WATCH_INTERVAL_MS: '700' }).MODEL_WATCH_INTERVAL_MS).toBe(700);
      expect(warn).not.toHaveBeenCalled();
      expect(readEnv({ DATABASE_URL: 'postgres://x/y', MODEL_POLL_INTERVAL_MS: '300' }).MODEL_WATCH_INTERVAL_MS).toBe(300);
      expect(warn).toHaveBeenCalledWith(expect.stringMatching(/MODEL_POLL_INTERVAL_MS is deprecated.*MODEL_WATCH_INTERVAL_MS/), 'DeprecationWarning');
      // The new name wins when both are set.
      expect(readEnv({ DATABASE_URL: 'postgres://x/y', MODEL_POLL_INTERVAL_MS: '300', MODEL_WATCH_INTERVAL_MS: '900' }).MODEL_WATCH_INTERVAL_MS).toBe(900);
    } finally {
      warn.mockRestore();
    }
  });
});
