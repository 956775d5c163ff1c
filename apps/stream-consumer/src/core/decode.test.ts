import { describe, expect, it } from 'vitest';

import { decodeRideEvent, describePayload } from './decode';

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
    const outOfRange = decodeRideEvent(bytes('{"ride": {"PULocationID": 999, "DOLocationID": 2, "trip_distance": 0}, "ride_id": 8}'));
    expect(outOfRange).toMatchObject({ ok: false, rideId: '8' });
    expect(!outOfRange.ok && outOfRange.reason).toContain('ride.PULocationID: PULocationID must be a TLC LocationID between 1 and 265');
    expect(!outOfRange.ok && outOfRange.reason).toContain('ride.trip_distance: trip_distance must be greater than 0 miles');
  });
});

describe('describePayload', () => {
  it('keeps text as text and non-UTF-8 bytes as base64', () => {
    expect(describePayload(bytes('not json'))).toBe('not json');
    expect(describePayload(new Uint8Array([0xff, 0x00]))).toBe('base64:/wA=');
  });
});
