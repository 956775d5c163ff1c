import { describe, expect, it } from 'vitest';

import { buildOutputRecord, buildPutEntry, createPutEntryBuilder } from './output';

describe('course output records', () => {
  it('has the course shape and partition key str(ride_id)', () => {
    const entry = buildPutEntry(buildOutputRecord({ modelName: 'ride_duration_prediction_model', modelVersion: 'v3', rideId: 256, rideDuration: 21.3 }));
    expect(JSON.parse(Buffer.from(entry.data).toString('utf8'))).toEqual({
      model: 'ride_duration_prediction_model',
      version: 'v3',
      prediction: { ride_duration: 21.3, ride_id: 256 },
    });
    expect(entry.partitionKey).toBe('256');
  });

  it('writes exactly the bytes JSON.stringify would, for awkward ids, names and values', () => {
    const cases: [string, string, number | string, number][] = [
      ['ride_duration_prediction_model', 'v1', 1, 12.319999694824219],
      ['m"quoted\\', 'ver\u00e9\n', 'id "with" quotes \u2603', -0],
      ['m', '2026-11-28.1', Number.MAX_SAFE_INTEGER, 1e-7],
      ['m', 'v', 7, Number.NaN],
      ['m', 'v', 'x'.repeat(300), 3],
    ];
    for (const [model, version, rideId, duration] of cases) {
      const fast = createPutEntryBuilder(model, version)(rideId, duration);
      const reference = JSON.stringify(buildOutputRecord({ modelName: model, modelVersion: version, rideId, rideDuration: duration }));
      expect(Buffer.from(fast.data).toString('utf8')).toBe(reference);
      expect(fast.partitionKey).toBe(String(rideId).slice(0, 256));
    }
  });
});
