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
  // Appended (codes are positions): the course policy rejects only a negative distance.
  'negative_distance',
] as const;
export type TRejectReason = (typeof REJECT_REASONS)[number];
export const REJECT_CODE = Object.fromEntries(REJECT_REASONS.map((r, i) => [r, i])) as Record<
  TRejectReason,
  number
>;

/** Human-readable explanation of each reason code, for reject files and the console. */
export const REJECT_REASON_TEXT: Record<TRejectReason, string> = {
  ok: 'valid',
  missing_pickup_datetime: 'pickup datetime is null or not a time',
  missing_dropoff_datetime: 'dropoff datetime is null or not a time',
  null_zone: 'PULocationID or DOLocationID is null',
  zone_out_of_range: `PULocationID or DOLocationID is outside ${MIN_ZONE_ID}..${MAX_ZONE_ID}`,
  missing_distance: 'trip_distance is null (fhv files have none)',
  non_positive_distance: 'trip_distance is zero or negative',
  distance_too_large: `trip_distance is above ${MAX_TRIP_DISTANCE_MILES} miles`,
  pickup_outside_month: 'pickup datetime is outside the month being processed',
  duration_out_of_range: 'duration is outside 1..60 minutes (the course filter)',
  negative_distance: 'trip_distance is negative',
};

/**
 * Which rows a batch run scores.
 * - `course` (default): every row the course's score.py scores (1 <= duration <= 60 min, whatever
 *   its distance or pickup date); a row that cannot be scored at all (null or unparsable time,
 *   null or unknown zone, null or negative distance) is rejected; zero distance, distance over
 *   500 mi and a pickup outside the month are scored and flagged as ANOMALIES.
 * - `strict`: those anomalies are rejections too (the scorer's policy before course parity).
 */
export const VALIDATION_POLICIES = ['course', 'strict'] as const;
export type TValidationPolicy = (typeof VALIDATION_POLICIES)[number];

/** Scored-but-suspicious rows under the course policy; bit i of a row's mask = ANOMALIES[i]. */
export const ANOMALIES = ['zero_distance', 'distance_too_large', 'pickup_outside_month'] as const;
export type TAnomaly = (typeof ANOMALIES)[number];
export const ANOMALY_BIT = { zero_distance: 1, distance_too_large: 2, pickup_outside_month: 4 } as const satisfies Record<TAnomaly, number>;

export const ANOMALY_TEXT: Record<TAnomaly, string> = {
  zero_distance: 'trip_distance is 0',
  distance_too_large: `trip_distance is above ${MAX_TRIP_DISTANCE_MILES} miles`,
  pickup_outside_month: 'pickup datetime is outside the month being processed',
};

/** A row's anomaly mask as the comma-separated codes stored in Postgres (null = none). */
export function formatAnomalies(mask: number): string | null {
  if (mask === 0) return null;
  return ANOMALIES.filter((_, bit) => mask & (1 << bit)).join(',');
}

/** The course's target: (dropoff - pickup) in minutes. NaN when either is missing. */
export function durationMinutes(pickupMs: number, dropoffMs: number): number {
  return (dropoffMs - pickupMs) / 60_000;
}

/** The course's filter keeps trips of COURSE_MIN_MINUTES to COURSE_MAX_MINUTES. */
export const COURSE_MIN_MINUTES = 1;
export const COURSE_MAX_MINUTES = 60;

/** The course's filter: keep trips with 1 <= duration <= 60 minutes. */
export function isCourseDuration(minutes: number): boolean {
  return minutes >= COURSE_MIN_MINUTES && minutes <= COURSE_MAX_MINUTES;
}

export type TValidateOptions = {
  year: number;
  month: number;
  /** Also reject rows whose duration is outside 1..60 (training, and evaluation against actuals). */
  requireCourseDuration?: boolean;
  /** Default `strict` (every caller before course parity); the scorer passes its run's policy. */
  policy?: TValidationPolicy;
};

export type TValidation = {
  /** One code per row: index into REJECT_REASONS, 0 = valid. */
  reasons: Uint8Array;
  validCount: number;
  counts: Partial<Record<TRejectReason, number>>;
  /** Course policy: per-row anomaly bit mask (ANOMALY_BIT) of valid rows; all 0 under strict. */
  anomalies: Uint8Array;
  anomalyCounts: Partial<Record<TAnomaly, number>>;
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
  const isCourse = options.policy === 'course';
  const reasons = new Uint8Array(chunk.length);
  const anomalies = new Uint8Array(chunk.length);
  const tally = new Uint32Array(REJECT_REASONS.length);
  const anomalyTally = new Uint32Array(ANOMALIES.length);
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
      const isOutsideMonth = pickup < monthStart || pickup >= monthEnd;
      if (Number.isNaN(distance)) code = REJECT_CODE.missing_distance;
      else if (isCourse) {
        if (distance < 0) code = REJECT_CODE.negative_distance;
      } else if (distance <= 0) code = REJECT_CODE.non_positive_distance;
      else if (distance > MAX_TRIP_DISTANCE_MILES) code = REJECT_CODE.distance_too_large;
      else if (isOutsideMonth) code = REJECT_CODE.pickup_outside_month;
      if (code === 0 && options.requireCourseDuration && !isCourseDuration(durationMinutes(pickup, dropoff)))
        code = REJECT_CODE.duration_out_of_range;
      if (code === 0 && isCourse) {
        const mask =
          (distance === 0 ? ANOMALY_BIT.zero_distance : 0) |
          (distance > MAX_TRIP_DISTANCE_MILES ? ANOMALY_BIT.distance_too_large : 0) |
          (isOutsideMonth ? ANOMALY_BIT.pickup_outside_month : 0);
        anomalies[i] = mask;
        if (mask !== 0) for (let bit = 0; bit < ANOMALIES.length; bit++) if (mask & (1 << bit)) anomalyTally[bit]!++;
      }
    }
    reasons[i] = code;
    tally[code]!++;
  }
  const counts: Partial<Record<TRejectReason, number>> = {};
  tally.forEach((n, code) => {
    if (code > 0 && n > 0) counts[REJECT_REASONS[code]!] = n;
  });
  const anomalyCounts: Partial<Record<TAnomaly, number>> = {};
  anomalyTally.forEach((n, bit) => {
    if (n > 0) anomalyCounts[ANOMALIES[bit]!] = n;
  });
  return { reasons, validCount: tally[0]!, counts, anomalies, anomalyCounts };
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
