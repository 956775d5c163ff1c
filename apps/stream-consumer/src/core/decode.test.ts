import { describe, expect, it } from 'vitest';

import { decodeRideEvent } from './decode';

const bytes = (text: string) => Buffer.from(text, 'utf8');

describe('decodeRideEvent', () => {
  it('decodes the course event and keeps ride_id as sent', () => {
    const result = decodeRideEvent(bytes('{"ride": {"PULocationID": 130, "DOLocationID": 205, "trip_distance": 3.66}, "ride_id": 256}'));
    expect(result).toEqual({ ok: true, event: { ride: { PULocationID: 130, DOLocationID: 205, trip_distance: 3.66 }, ride_id: 256 } });
  });

  it('ignores extra fields the course producers send', () => {
    const result = decodeRideEvent(bytes('{"ride": {"PULocationID": 1, "DOLocationID": 2, "trip_distance": 1, "fare_amount": 9}, "ride_id": "abc"}'));
    expect(result.ok && result.event.ride).toEqual({ PULocationID: 1, DOLocationID: 2, trip_distance: 1 });
  });

  it('names the reason for each kind of poison record', () => {
    expect(decodeRideEvent(new Uint8Array([0xff, 0xfe, 0x00]))).toEqual({ ok: false, reason: 'data is not valid UTF-8' });
    const notJson = decodeRideEvent(bytes('{"ride": '));
    expect(notJson.ok).toBe(false);
    expect(!notJson.ok && notJson.reason).toMatch(/^data is not JSON/);
    expect(decodeRideEvent(bytes('{"ride_id": 7}'))).toEqual({ ok: false, reason: 'ride: Invalid input: expected object, received undefined', rideId: '7' });
    const outOfRange = decodeRideEvent(bytes('{"ride": {"PULocationID": 999, "DOLocationID": 2, "trip_distance": -1}, "ride_id": 8}'));
    expect(outOfRange).toMatchObject({ ok: false, rideId: '8' });
    expect(!outOfRange.ok && outOfRange.reason).toContain('ride.PULocationID: PULocationID must be a TLC LocationID between 1 and 265');
    expect(!outOfRange.ok && outOfRange.reason).toContain('ride.trip_distance: trip_distance must be 0 miles or more');
  });
});

describe('decodeRideEvent: NUL bytes (Postgres text cannot hold them)', () => {
  it('rejects a ride_id holding NUL, with a reason and ride id that hold none', () => {
    const result = decodeRideEvent(bytes('{"ride": {"PULocationID": 1, "DOLocationID": 2, "trip_distance": 1}, "ride_id": "a\\u0000b"}'));
    expect(result).toMatchObject({ ok: false, reason: expect.stringContaining('ride_id: ride_id must not contain a NUL') as string, rideId: 'a\\u0000b' });
  });
  it('keeps the JSON error of a payload holding a raw NUL storable', () => {
    const result = decodeRideEvent(bytes('bad\u0000payload'));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(/^data is not JSON/);
    expect(!result.ok && result.reason.includes('\u0000')).toBe(false);
  });
});
