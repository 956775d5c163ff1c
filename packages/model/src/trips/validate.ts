import { MAX_TRIP_DISTANCE_MILES, MAX_ZONE_ID, MIN_ZONE_ID } from '../ride';
import type { TTripChunk } from './read';

/** Why a trip row cannot be scored or trained on. 0 = ok. The first failing rule wins. */
export const REJECT_REASONS = [
  'ok',
  'missing_pickup_datetime',
  'missing_dropoff_datetime',
  'null_zone',
  'zone_out_of_range',
  'missing_distance',
  'non_positive_distance',
  'distance_too_large',
  'pickup_outside_month',
  'duration_out_of_range',
] as const;
export type TRejectReason = (typeof REJECT_REASONS)[number];
export const REJECT_CODE = Object.fromEntries(REJECT_REASONS.map((r, i) => [r, i])) as Record<
  TRejectReason,
  number
>;

/** Human-readable explanation of each reason code, for reject files and the console. */
export const REJECT_REASON_TEXT: Record<TRejectReason, string> = {
  ok: 'valid',
  missing_pickup_datetime: 'pickup datetime is null',
  missing_dropoff_datetime: 'dropoff datetime is null',
  null_zone: 'PULocationID or DOLocationID is null',
  zone_out_of_range: `PULocationID or DOLocationID is outside ${MIN_ZONE_ID}..${MAX_ZONE_ID}`,
  missing_distance: 'trip_distance is null (fhv files have none)',
  non_positive_distance: 'trip_distance is zero or negative',
  distance_too_large: `trip_distance is above ${MAX_TRIP_DISTANCE_MILES} miles`,
  pickup_outside_month: 'pickup datetime is outside the month being processed',
  duration_out_of_range: 'duration is outside 1..60 minutes (the course filter)',
};

/** The course's target: (dropoff - pickup) in minutes. NaN when either is missing. */
export function durationMinutes(pickupMs: number, dropoffMs: number): number {
  return (dropoffMs - pickupMs) / 60_000;
}

/** The course's filter: keep trips with 1 <= duration <= 60 minutes. */
export function isCourseDuration(minutes: number): boolean {
  return minutes >= 1 && minutes <= 60;
}

export type TValidateOptions = {
  year: number;
  month: number;
  /** Also reject rows whose duration is outside 1..60 (training, and evaluation against actuals). */
  requireCourseDuration?: boolean;
};

export type TValidation = {
  /** One code per row: index into REJECT_REASONS, 0 = valid. */
  reasons: Uint8Array;
  validCount: number;
  counts: Partial<Record<TRejectReason, number>>;
};

function zoneReason(id: number): number {
  if (id === 0) return REJECT_CODE.null_zone;
  if (id < MIN_ZONE_ID || id > MAX_ZONE_ID) return REJECT_CODE.zone_out_of_range;
  return 0;
}

/** Per-row reject reason codes for one chunk. Pure, columnar, allocation of one byte per row. */
export function validateTripChunk(chunk: TTripChunk, options: TValidateOptions): TValidation {
  const monthStart = Date.UTC(options.year, options.month - 1, 1);
  const monthEnd = Date.UTC(options.year, options.month, 1);
  const reasons = new Uint8Array(chunk.length);
  const tally = new Uint32Array(REJECT_REASONS.length);
  for (let i = 0; i < chunk.length; i++) {
    const pickup = chunk.pickupMs[i]!;
    const dropoff = chunk.dropoffMs[i]!;
    const distance = chunk.distance[i]!;
    let code: number;
    if (Number.isNaN(pickup)) code = REJECT_CODE.missing_pickup_datetime;
    else if (Number.isNaN(dropoff)) code = REJECT_CODE.missing_dropoff_datetime;
    else {
      const pu = zoneReason(chunk.pu[i]!);
      const dropoffZone = zoneReason(chunk.do[i]!);
      // A null anywhere is reported before an out-of-range id.
      code =
        pu === REJECT_CODE.null_zone || dropoffZone === REJECT_CODE.null_zone
          ? REJECT_CODE.null_zone
          : pu || dropoffZone;
    }
    if (code === 0) {
      if (Number.isNaN(distance)) code = REJECT_CODE.missing_distance;
      else if (distance <= 0) code = REJECT_CODE.non_positive_distance;
      else if (distance > MAX_TRIP_DISTANCE_MILES) code = REJECT_CODE.distance_too_large;
      else if (pickup < monthStart || pickup >= monthEnd) code = REJECT_CODE.pickup_outside_month;
      else if (options.requireCourseDuration && !isCourseDuration(durationMinutes(pickup, dropoff)))
        code = REJECT_CODE.duration_out_of_range;
    }
    reasons[i] = code;
    tally[code]!++;
  }
  const counts: Partial<Record<TRejectReason, number>> = {};
  tally.forEach((n, code) => {
    if (code > 0 && n > 0) counts[REJECT_REASONS[code]!] = n;
  });
  return { reasons, validCount: tally[0]!, counts };
}

/** Add one chunk's reject counts into a running total. */
export function addRejectCounts(
  total: Partial<Record<TRejectReason, number>>,
  counts: Partial<Record<TRejectReason, number>>,
): Partial<Record<TRejectReason, number>> {
  for (const [reason, n] of Object.entries(counts) as [TRejectReason, number][])
    total[reason] = (total[reason] ?? 0) + n;
  return total;
}
