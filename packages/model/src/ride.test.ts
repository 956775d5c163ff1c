import { readFileSync, existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import {
  formatFieldErrors,
  MAX_REPORTED_ISSUES,
  MAX_RIDES_PER_REQUEST,
  parseZoneLookup,
  TRUNCATED_ISSUES_PATH,
  ZModelCard,
  ZPredictRequest,
  ZRide,
  ZRideEvent,
} from './index';
import { newYorkWallClockMs } from './ride';
import { sharedDataPath } from './testing/shared-data';

const course = { PULocationID: 10, DOLocationID: 50, trip_distance: 40 };

function errorsOf(
  schema: { safeParse(v: unknown): { success: boolean; error?: unknown } },
  value: unknown,
) {
  const result = schema.safeParse(value);
  expect(result.success).toBe(false);
  return formatFieldErrors(result.error as never);
}

describe('ZRide', () => {
  it('accepts the course body and strips unknown fields', () => {
    expect(ZRide.parse({ ...course, fare_amount: 12 })).toEqual(course);
  });

  it('accepts a 0-mile trip, as the course and the TLC files do (negative stays refused below)', () => {
    expect(ZRide.parse({ ...course, trip_distance: 0 })).toEqual({ ...course, trip_distance: 0 });
  });

  it.each([
    [{ ...course, PULocationID: 0 }, 'PULocationID', 'between 1 and 265'],
    [{ ...course, DOLocationID: 266 }, 'DOLocationID', 'between 1 and 265'],
    [{ ...course, PULocationID: 10.5 }, 'PULocationID', 'integer'],
    [{ ...course, PULocationID: '10' }, 'PULocationID', 'must be a number'],
    [{ DOLocationID: 50, trip_distance: 4 }, 'PULocationID', 'is required'],
    [{ ...course, trip_distance: -3 }, 'trip_distance', '0 miles or more'],
    [{ ...course, trip_distance: -0.01 }, 'trip_distance', '0 miles or more'],
    [{ ...course, trip_distance: 501 }, 'trip_distance', 'at most 500'],
    [{ ...course, trip_distance: Number.POSITIVE_INFINITY }, 'trip_distance', ''],
    [{ ...course, trip_distance: null }, 'trip_distance', 'must be a number'],
  ])('rejects %j naming %s', (value, path, message) => {
    const errors = errorsOf(ZRide, value);
    expect(errors[0]?.path).toBe(path);
    expect(errors[0]?.message).toContain(message);
  });
});

describe('ZRideEvent', () => {
  it('accepts the course stream record', () => {
    const event = {
      ride: { PULocationID: 130, DOLocationID: 205, trip_distance: 3.66 },
      ride_id: 256,
    };
    expect(ZRideEvent.parse(event)).toEqual(event);
  });
  it('names the nested field', () => {
    const errors = errorsOf(ZRideEvent, {
      ride: { PULocationID: 130, DOLocationID: 999, trip_distance: 1 },
      ride_id: 1,
    });
    expect(errors).toEqual([
      { path: 'ride.DOLocationID', message: expect.stringContaining('1 and 265') as string },
    ]);
    expect(errorsOf(ZRideEvent, { ride: course })[0]?.path).toBe('ride_id');
  });
});

describe('ZPredictRequest', () => {
  it('normalizes the course body to one ride', () => {
    expect(ZPredictRequest.parse(course)).toEqual({ isBatch: false, rides: [course] });
  });
  it('takes a list with optional ride ids', () => {
    const body = { rides: [{ ...course, ride_id: 'a' }, course] };
    expect(ZPredictRequest.parse(body)).toEqual({ isBatch: true, rides: body.rides });
  });
  it('names the failing ride and field', () => {
    const errors = errorsOf(ZPredictRequest, { rides: [course, { ...course, trip_distance: -1 }] });
    expect(errors[0]?.path).toBe('rides.1.trip_distance');
    expect(errorsOf(ZPredictRequest, { rides: [] })[0]?.message).toContain('at least one');
    expect(errorsOf(ZPredictRequest, [course])[0]?.message).toContain('JSON object');
  });
  it('stops validating at MAX_REPORTED_ISSUES and says where (10,000 bad rides used to give 30,000 issues)', () => {
    const rides = Array.from({ length: MAX_RIDES_PER_REQUEST }, () => ({ PULocationID: 0, DOLocationID: 999, trip_distance: -1 }));
    const errors = errorsOf(ZPredictRequest, { rides });
    expect(errors).toHaveLength(MAX_REPORTED_ISSUES + 1);
    expect(errors[0]).toEqual({ path: 'rides.0.PULocationID', message: expect.stringContaining('between 1 and 265') as string });
    expect(errors[MAX_REPORTED_ISSUES - 1]?.path).toBe('rides.33.PULocationID');
    expect(errors.at(-1)).toEqual({ path: TRUNCATED_ISSUES_PATH, message: 'validation stopped after 100 issues, at ride 33 of 10000; fix these and send again' });
    // Under the cap: every issue, no note; valid rides around bad ones change nothing.
    const few = errorsOf(ZPredictRequest, { rides: [course, { ...course, trip_distance: -1 }, course] });
    expect(few.map((e) => e.path)).toEqual(['rides.1.trip_distance']);
  });
  it('refuses a ride_id holding NUL (Postgres text cannot store it) in every mode, naming the field', () => {
    expect(errorsOf(ZPredictRequest, { rides: [{ ...course, ride_id: 'a\u0000b' }] })).toEqual([
      { path: 'rides.0.ride_id', message: expect.stringContaining('NUL') as string },
    ]);
    expect(errorsOf(ZPredictRequest, { ...course, ride_id: '\u0000' })[0]?.path).toBe('ride_id');
    expect(errorsOf(ZRideEvent, { ride: course, ride_id: 'a\u0000b' })[0]?.path).toBe('ride_id');
  });
});

describe('ZModelCard', () => {
  it('rejects a card without a valid sha256', () => {
    const errors = errorsOf(ZModelCard, {
      schemaVersion: 1,
      name: 'm',
      version: '1',
      createdAt: new Date().toISOString(),
      sha256: 'xyz',
      inputs: [{ name: 'x', feature: 'PU_DO', type: 'string' }],
      output: { name: 'y', unit: 'minutes' },
    });
    expect(errors.map((e) => e.path)).toEqual(['sha256']);
  });
});

describe('parseZoneLookup', () => {
  it('parses quoted cells and reports bad lines', () => {
    const zones = parseZoneLookup(
      '"LocationID","Borough","Zone","service_zone"\n1,"EWR","Newark Airport","EWR"\n4,"Manhattan","Alphabet City, East","Yellow Zone"\n',
    );
    expect(zones[1]).toEqual({
      locationId: 4,
      borough: 'Manhattan',
      zone: 'Alphabet City, East',
      serviceZone: 'Yellow Zone',
    });
    expect(() => parseZoneLookup('LocationID,Borough,Zone,service_zone\n300,a,b,c')).toThrow(
      /line 2/,
    );
    expect(() => parseZoneLookup('id,Borough\n1,a')).toThrow(/locationid/);
  });

  const csvPath = sharedDataPath('taxi_zone_lookup.csv');
  it.skipIf(!existsSync(csvPath))(`reads the TLC table (${csvPath})`, () => {
    const zones = parseZoneLookup(readFileSync(csvPath, 'utf8'));
    expect(zones).toHaveLength(265);
    expect(zones[264]).toMatchObject({ locationId: 265, borough: 'Unknown' });
  });
});

describe('newYorkWallClockMs', () => {
  // The offset is cached per UTC hour; Intl (no cache) is the reference, minute by minute across
  // both 2024 DST changes (10 March 07:00 UTC, 3 November 06:00 UTC) and at millisecond precision.
  const clock = new Intl.DateTimeFormat('en-US', {
    timeZone: 'America/New_York',
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
  const reference = (t: number) => {
    const p: Record<string, number> = {};
    for (const x of clock.formatToParts(new Date(t))) p[x.type] = Number(x.value);
    return Date.UTC(p.year!, p.month! - 1, p.day, p.hour, p.minute, p.second) + (t % 1000);
  };
  it.each([
    ['spring forward', Date.UTC(2024, 2, 10, 5)],
    ['fall back', Date.UTC(2024, 10, 3, 4)],
  ])('agrees with Intl around the %s change', (_, start) => {
    for (let t = start; t < start + 4 * 3_600_000; t += 60_000 + 7)
      expect(newYorkWallClockMs(t), new Date(t).toISOString()).toBe(reference(t));
  });
  it('is NaN for a non-finite instant', () => {
    expect(newYorkWallClockMs(Number.NaN)).toBeNaN();
  });
});
