import { describe, expect, it } from 'vitest';

import {
  computeFeatures,
  HOUR_OF_WEEK_SLOTS,
  hourOfWeekOf,
  pairIndexOf,
  UNKNOWN_HOUR_OF_WEEK,
} from './features';
import { boroughPairIndexOf } from './zone-boroughs';

/** The definition: weekday (Monday 0) * 24 + hour of a naive local time; 1970-01-01 was a Thursday. */
function hourOfWeekByDays(ms: number): number {
  if (!Number.isFinite(ms)) return UNKNOWN_HOUR_OF_WEEK;
  const hours = Math.floor(ms / 3_600_000);
  const day = Math.floor(hours / 24);
  return ((((day + 3) % 7) + 7) % 7) * 24 + (((hours % 24) + 24) % 24);
}

describe('hourOfWeekOf', () => {
  it('agrees with the weekday/hour definition over the whole Date range', () => {
    let seed = 11;
    const next = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296;
    const times = [0, -1, 3_599_999, 3_600_000, -3_600_000, 8.64e15, -8.64e15];
    // Negative multiples of a week from Monday 00:00 (where a remainder could come out as -0).
    for (let w = 1; w < 50; w++) times.push((-72 - 168 * w * 1013) * 3_600_000);
    for (let i = 0; i < 200_000; i++) times.push((next() - 0.5) * 2 * 8.64e15 * next() ** 4);
    for (const ms of times)
      expect(Object.is(hourOfWeekOf(ms), hourOfWeekByDays(ms)), String(ms)).toBe(true);
    expect(hourOfWeekOf(Date.UTC(2021, 0, 4, 8, 15))).toBe(8); // a Monday
    expect(hourOfWeekOf(Date.UTC(2021, 0, 10, 23, 59))).toBe(167); // a Sunday
    for (const unknown of [Number.NaN, Infinity, -Infinity])
      expect(hourOfWeekOf(unknown)).toBe(168);
  });
});

describe('borough_pair_hour_index', () => {
  const pu = Int32Array.of(7, 132, 1, 265, 0, 300, -1, 5, 74);
  const dropoff = Int32Array.of(132, 7, 265, 1, 50, 50, 264, 204, 75);
  const pickupMs = Float64Array.from(pu, (_, i) =>
    i === 3 ? Number.NaN : Date.UTC(2021, 2, 1) + i * 17 * 3_600_000 + 60_000,
  );
  const columns = { pu, do: dropoff, distance: new Float32Array(pu.length), pickupMs };

  it('is borough pair * 169 + hour of week (unknown zones as borough Unknown, unknown time as slot 168)', () => {
    const { borough_pair_hour_index: keys } = computeFeatures(columns, [
      { feature: 'borough_pair_hour_index', type: 'int32' },
    ]);
    const valid = (id: number) => (id >= 1 && id <= 265 ? id : 0);
    const expected = Array.from(
      pu,
      (id, i) =>
        boroughPairIndexOf(valid(id), valid(dropoff[i]!)) * HOUR_OF_WEEK_SLOTS +
        hourOfWeekOf(pickupMs[i]!),
    );
    expect(Array.from(keys as Int32Array)).toEqual(expected);
    expect((keys as Int32Array)[3]! % HOUR_OF_WEEK_SLOTS).toBe(UNKNOWN_HOUR_OF_WEEK);

    // No pickup times at all: every ride in the unknown slot.
    const { pickupMs: _, ...timeless } = columns;
    const untimed = computeFeatures(timeless, [
      { feature: 'borough_pair_hour_index', type: 'int32' },
    ]).borough_pair_hour_index as Int32Array;
    expect(Array.from(untimed, (k) => k % HOUR_OF_WEEK_SLOTS)).toEqual(Array(pu.length).fill(168));
  });

  it('gives the same pair_index and keys whether computed together (one pass) or alone', () => {
    const together = computeFeatures(columns, [
      { feature: 'pair_index', type: 'int32' },
      { feature: 'trip_distance', type: 'float32' },
      { feature: 'borough_pair_hour_index', type: 'int32' },
    ]);
    const pairs = computeFeatures(columns, [{ feature: 'pair_index', type: 'int32' }]);
    const keys = computeFeatures(columns, [{ feature: 'borough_pair_hour_index', type: 'int32' }]);
    expect(together.pair_index).toEqual(pairs.pair_index);
    expect(together.borough_pair_hour_index).toEqual(keys.borough_pair_hour_index);
    expect(Array.from(together.pair_index as Int32Array)).toEqual(
      Array.from(pu, (id, i) => pairIndexOf(id, dropoff[i]!)),
    );
  });
});
