import { describe, expect, it } from 'vitest';

import { createLoadedModel } from '../runtime';
import { hasSharedData, sharedDataPath } from '../testing/shared-data';
import { profileTripMonths, trainModel } from '../training';
import { jensenShannonDistance, measureDrift, populationStabilityIndex } from './drift';
import { hourOfWeekOf } from '../features';
import {
  createProfileAccumulator,
  decodeSeenPairs,
  DISTANCE_BIN_EDGES,
  PREDICTION_BIN_EDGES,
  ZReferenceProfile,
} from './profile';

describe('profile counting', () => {
  it('puts every ride in the bin its value falls in (the hot loop inlines the bin and hour arithmetic)', () => {
    const binOf = (edges: readonly number[], v: number) => {
      let b = 0;
      edges.forEach((e, i) => {
        if (v >= e) b = i;
      });
      return b;
    };
    const values = [
      -3, 0, 0.2, 0.5, 0.99, 1, 1.49, 2, 2.5, 3, 6.9, 7, 9.99, 14.5, 20, 29.99, 30, 31, 244_152,
      1.999, 59.99, 60, 61,
    ];
    for (const v of values) {
      const times = [
        Date.UTC(2021, 0, 4, 7, 30) + v * 3_600_000,
        Number.NaN,
        Date.UTC(1969, 11, 31, 23) - v * 1e6,
      ];
      for (const t of times) {
        const one = createProfileAccumulator();
        one.addRide(1, 2, v, t, v);
        const r = one.result();
        expect(r.distance.indexOf(1), `distance ${v}`).toBe(binOf(DISTANCE_BIN_EDGES, v));
        expect(r.prediction.indexOf(1), `prediction ${v}`).toBe(binOf(PREDICTION_BIN_EDGES, v));
        expect(r.hourOfWeek.indexOf(1), `time ${t}`).toBe(hourOfWeekOf(t));
      }
    }
    const unknown = createProfileAccumulator();
    unknown.addRide(0, 300, Number.NaN, Number.NaN, Number.NaN);
    expect(unknown.result().rows).toBe(1);
    expect(unknown.result().pickupZones[0]).toBe(1);
    expect(unknown.result().dropoffZones[0]).toBe(1);
    expect(unknown.result().distance.every((n) => n === 0)).toBe(true);
    expect(unknown.result().prediction.every((n) => n === 0)).toBe(true);
  });
});

describe('drift measures on fixed bins', () => {
  it('PSI and JS distance are 0 for the same shares, JS is 1 for disjoint ones, PSI grows with the shift', () => {
    expect(populationStabilityIndex([10, 20, 70], [1, 2, 7])).toBeCloseTo(0, 12);
    expect(jensenShannonDistance([10, 20, 70], [1, 2, 7])).toBeCloseTo(0, 12);
    expect(jensenShannonDistance([1, 0], [0, 1])).toBeCloseTo(1, 12);
    // Hand-computed: shares .5/.5 vs .6/.4: (.1 ln 1.2) + (-.1 ln .8) = 0.040546.
    expect(populationStabilityIndex([5, 5], [6, 4])).toBeCloseTo(0.0405465, 6);
    const small = populationStabilityIndex([5, 5], [6, 4])!;
    const large = populationStabilityIndex([5, 5], [9, 1])!;
    expect(large).toBeGreaterThan(small);
    // An empty population has no shares: no figure rather than a made-up 0.
    expect(populationStabilityIndex([5, 5], [0, 0])).toBeNull();
  });

  it('judges ok / watch / alert on configurable thresholds, and refuses to judge a small sample', () => {
    const reference = createProfileAccumulator();
    const rides = (n: number, miles: number) => ({
      pu: new Int32Array(n).fill(74),
      do: new Int32Array(n).fill(75),
      distance: new Float64Array(n).fill(miles),
      predicted: new Float32Array(n).fill(8),
    });
    reference.add(rides(1000, 1.2));
    reference.add(rides(1000, 3.5));
    const profile = ZReferenceProfile.parse(reference.reference('test'));
    expect(profile.pairsSeen).toBe(1);
    expect(decodeSeenPairs(profile)[Math.floor((74 * 266 + 75) / 8)]).not.toBe(0);

    const current = createProfileAccumulator({ seenPairs: decodeSeenPairs(profile) });
    current.add(rides(700, 1.2));
    current.add(rides(1300, 3.5));
    const mild = measureDrift(profile, current.result());
    expect(mild.unseenPairShare).toBe(0);
    expect(mild.features.hourOfWeek).toBeNull(); // no pickup times given
    expect(mild.features.distance!.psi).toBeGreaterThan(0.05);
    expect(mild.status).toBe('ok');
    expect(measureDrift(profile, current.result(), { psiWatch: 0.05 }).status).toBe('watch');
    expect(
      measureDrift(profile, current.result(), { psiWatch: 0.01, psiAlert: 0.05 }),
    ).toMatchObject({
      status: 'alert',
      reasons: [expect.stringMatching(/^trip distance PSI 0\.\d+ >= alert 0\.05$/)],
    });

    const unseen = createProfileAccumulator({ seenPairs: decodeSeenPairs(profile) });
    unseen.add(rides(900, 1.2));
    unseen.add({ ...rides(100, 3.5), pu: new Int32Array(100).fill(1) });
    expect(measureDrift(profile, unseen.result()).unseenPairShare).toBeCloseTo(0.1, 9);
    expect(measureDrift(profile, unseen.result()).reasons.join()).toMatch(
      /pairs never seen in training 10\.0% >= alert 10\.0%/,
    );
    expect(measureDrift(profile, unseen.result(), { minRows: 5000 }).status).toBe('insufficient');
  });
});

const MONTHS = ['2021-01', '2021-03', '2023-03', '2024-01'] as const;
const fileOf = (month: string) => `green_tripdata_${month}.parquet`;
const hasData = MONTHS.every((m) => hasSharedData(fileOf(m)));

// The shared real months: a model trained on green 2021-01 drifts further from its reference the
// later the month it meets (COVID-era 2021 vs 2023-2024 green-cab trips: other zones, longer trips).
describe.skipIf(!hasData)(
  `drift of a model trained on ${sharedDataPath(fileOf('2021-01'))}`,
  () => {
    it('card.profile counts the training rows; drift grows 2021-03 < 2023-03 < 2024-01', async () => {
      const { onnx, card } = await trainModel({
        recipe: 'course',
        trainFiles: [sharedDataPath(fileOf('2021-01'))],
        now: new Date('2026-12-04T00:00:00Z'),
      });
      const profile = card.profile!;
      expect(profile.rows).toBe(card.metrics.train!.rows);
      expect(profile.pairsSeen).toBe(card.training!.pairsSeen);
      expect(profile.distance.reduce((a, b) => a + b, 0)).toBe(profile.rows);
      expect(profile.prediction.reduce((a, b) => a + b, 0)).toBe(profile.rows);
      expect(profile.hourOfWeek[168]).toBe(0); // every training row has a pickup time

      const model = await createLoadedModel(onnx, card);
      try {
        const reports = [];
        for (const month of MONTHS) {
          const current = await profileTripMonths({
            files: [sharedDataPath(fileOf(month))],
            model,
            against: profile,
          });
          reports.push(measureDrift(profile, current));
        }
        const [same, march, y2023, y2024] = reports as [
          (typeof reports)[0],
          (typeof reports)[0],
          (typeof reports)[0],
          (typeof reports)[0],
        ];
        // Its own training month: no drift at all, no unseen pair.
        expect(same.maxPsi).toBe(0);
        expect(same.unseenPairShare).toBe(0);
        expect(same.status).toBe('ok');
        // Two months later: small shifts, no alert; two and three years later: alerts.
        expect(march.status).not.toBe('alert');
        expect(y2023.status).toBe('alert');
        expect(y2024.status).toBe('alert');
        expect(march.maxPsi).toBeLessThan(y2023.maxPsi);
        expect(y2023.maxPsi).toBeLessThan(y2024.maxPsi);
        for (const feature of ['distance', 'pickupZones', 'dropoffZones', 'prediction'] as const) {
          expect(march.features[feature]!.psi, feature).toBeLessThan(y2023.features[feature]!.psi);
          expect(y2023.features[feature]!.psi, feature).toBeLessThan(y2024.features[feature]!.psi);
        }
      } finally {
        await model.close();
      }
    });
  },
);

describe('model health for the Overview', () => {
  it('is the worst of the latest drift per source and the error ratio, with one reason per finding', async () => {
    const { summarizeModelHealth } = await import('./status');
    expect(summarizeModelHealth({ drift: [] })).toEqual({
      status: 'unknown',
      reasons: [expect.stringMatching(/^no drift or error measured yet/)],
    });
    expect(
      summarizeModelHealth({
        drift: [
          { source: 'batch', scope: 'run-1', status: 'ok', reasons: [] },
          {
            source: 'online',
            scope: '2026-12-03',
            status: 'insufficient',
            reasons: ['12 rides < 500'],
          },
        ],
        quality: { rmse: 6, month: '2021-03' },
        referenceRmse: 5.8,
      }),
    ).toEqual({ status: 'ok', reasons: [] });
    const health = summarizeModelHealth({
      drift: [
        {
          source: 'batch',
          scope: 'run-2',
          status: 'watch',
          reasons: ['trip distance PSI 0.120 >= watch 0.1', 'x'],
        },
      ],
      quality: { rmse: 9, month: '2024-01' },
      referenceRmse: 5.8,
    });
    expect(health.status).toBe('alert');
    expect(health.reasons).toEqual([
      'batch run run-2: trip distance PSI 0.120 >= watch 0.1 (+1 more)',
      'RMSE 9.00 min on 2024-01 is 1.55x the validation RMSE 5.80 (alert at 1.5x)',
    ]);
  });
});
