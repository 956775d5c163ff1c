// Row rules of batch scoring. The feature rules are ZRide's (@tripcast/model): zones 1..265,
// 0 < trip_distance <= 500. The time rules are the course's batch job: the pickup lies in the
// scored month and 1 <= duration <= 60 minutes (its `read_data` filter).
// TODO(model): switch to @tripcast/model/trips validateTripChunk when it lands (INTERFACES.md).
import { MAX_TRIP_DISTANCE_MILES, MAX_ZONE_ID, MIN_ZONE_ID } from '@tripcast/model';

import type { TMonth } from './month';
import { monthBoundsMs } from './month';
import type { TTripChunk } from './trip-reader';

/** Reason codes, in the order rules are checked (the first failing rule names the row). */
export const REJECT_REASONS = [
  'ok',
  'missing_pickup_datetime',
  'missing_dropoff_datetime',
  'pickup_outside_month',
  'duration_out_of_range',
  'missing_pickup_location',
  'missing_dropoff_location',
  'invalid_pickup_location',
  'invalid_dropoff_location',
  'missing_trip_distance',
  'invalid_trip_distance',
] as const;
export type TRejectReason = (typeof REJECT_REASONS)[number];

const code = (reason: TRejectReason) => REJECT_REASONS.indexOf(reason);

const MIN_DURATION_MINUTES = 1;
const MAX_DURATION_MINUTES = 60;

/** Per row: 0 when the row can be scored, else the index of its reason in REJECT_REASONS. */
export function validateTripChunk(chunk: TTripChunk, month: TMonth): Uint8Array {
  const { startMs, endMs } = monthBoundsMs(month);
  const reasons = new Uint8Array(chunk.length);
  for (let i = 0; i < chunk.length; i++) {
    const pickup = chunk.pickupMs[i]!;
    const dropoff = chunk.dropoffMs[i]!;
    const pu = chunk.pu[i]!;
    const dropoffZone = chunk.do[i]!;
    const distance = chunk.distance[i]!;
    let reason = 0;
    if (Number.isNaN(pickup)) reason = code('missing_pickup_datetime');
    else if (Number.isNaN(dropoff)) reason = code('missing_dropoff_datetime');
    else if (pickup < startMs || pickup >= endMs) reason = code('pickup_outside_month');
    else {
      const minutes = (dropoff - pickup) / 60_000;
      if (!(minutes >= MIN_DURATION_MINUTES && minutes <= MAX_DURATION_MINUTES)) reason = code('duration_out_of_range');
      else if (pu === 0) reason = code('missing_pickup_location');
      else if (dropoffZone === 0) reason = code('missing_dropoff_location');
      else if (pu < MIN_ZONE_ID || pu > MAX_ZONE_ID) reason = code('invalid_pickup_location');
      else if (dropoffZone < MIN_ZONE_ID || dropoffZone > MAX_ZONE_ID) reason = code('invalid_dropoff_location');
      else if (Number.isNaN(distance)) reason = code('missing_trip_distance');
      else if (!(distance > 0 && distance <= MAX_TRIP_DISTANCE_MILES)) reason = code('invalid_trip_distance');
    }
    reasons[i] = reason;
  }
  return reasons;
}
