import { z } from 'zod';

/** TLC taxi zones are LocationIDs 1..265 (264 and 265 are "Unknown"): see taxi_zone_lookup.csv. */
export const MIN_ZONE_ID = 1;
export const MAX_ZONE_ID = 265;
/**
 * Upper bound for a ride's trip_distance in miles. The longest plausible NYC taxi trip
 * (e.g. to the far end of Long Island and back) is well under 500 miles; real TLC files carry
 * odometer glitches of 10^5 miles, which a model must not be asked to extrapolate to.
 */
export const MAX_TRIP_DISTANCE_MILES = 500;
/** The course model predicts trip duration in minutes. */
export const MODEL_OUTPUT_UNIT = 'minutes';

export const ZTaxiType = z.enum(['yellow', 'green', 'fhv']).describe('TLC taxi type');
export type TTaxiType = z.infer<typeof ZTaxiType>;

const zoneId = (field: string) =>
  z
    .number({
      error: (issue) =>
        issue.input === undefined ? `${field} is required` : `${field} must be a number`,
    })
    .int({ error: `${field} must be an integer TLC LocationID` })
    .min(MIN_ZONE_ID, {
      error: `${field} must be a TLC LocationID between ${MIN_ZONE_ID} and ${MAX_ZONE_ID}`,
    })
    .max(MAX_ZONE_ID, {
      error: `${field} must be a TLC LocationID between ${MIN_ZONE_ID} and ${MAX_ZONE_ID}`,
    });

/**
 * A ride as the course sends it to `/predict` and on the `ride_events` stream.
 *
 * Unknown fields are IGNORED (stripped), never an error: course producers and TLC-row
 * clients send extra columns (fare_amount, VendorID, ...), and every field the model reads is
 * required, so a misspelt name still fails loudly as "<field> is required".
 */
export const ZRide = z.object({
  PULocationID: zoneId('PULocationID').describe('Pickup TLC zone (LocationID 1..265)'),
  DOLocationID: zoneId('DOLocationID').describe('Dropoff TLC zone (LocationID 1..265)'),
  trip_distance: z
    .number({
      error: (issue) =>
        issue.input === undefined ? 'trip_distance is required' : 'trip_distance must be a number',
    })
    .refine(Number.isFinite, { error: 'trip_distance must be a finite number' })
    // 0 is a real reading (the TLC files hold thousands of 0-mile trips) and the course scores it;
    // only a negative distance is nonsense.
    .refine((d) => d >= 0, { error: 'trip_distance must be 0 miles or more' })
    .refine((d) => d <= MAX_TRIP_DISTANCE_MILES, {
      error: `trip_distance must be at most ${MAX_TRIP_DISTANCE_MILES} miles`,
    })
    .describe('Trip distance in miles (0 <= d <= 500)'),
  pickup_datetime: z
    .string({ error: 'pickup_datetime must be an ISO 8601 string, e.g. 2021-01-01T08:15:00' })
    .refine((text) => Number.isFinite(pickupMsOf(text)), {
      error:
        'pickup_datetime must be an ISO 8601 date-time, e.g. 2021-01-01T08:15:00 (New York time) or 2021-01-01T13:15:00Z',
    })
    .optional()
    .describe(
      'Pickup time, ISO 8601. Without an offset it is New York local time (as in the TLC files); absent = when the ride arrived',
    ),
});
export type TRide = z.infer<typeof ZRide>;

const NAIVE_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/;

let newYorkClock: Intl.DateTimeFormat | undefined;
const HOUR_MS = 3_600_000;
/** New York's UTC offset (ms) per UTC hour: formatToParts costs ~6 µs, a stream record ~4 µs in all. */
const offsetByUtcHour = new Map<number, number>();

function newYorkOffsetMs(utcHour: number): number {
  let offset = offsetByUtcHour.get(utcHour);
  if (offset !== undefined) return offset;
  newYorkClock ??= new Intl.DateTimeFormat('en-US', {
    timeZone: 'America/New_York',
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
  const instant = utcHour * HOUR_MS;
  const part: Record<string, number> = {};
  for (const p of newYorkClock.formatToParts(new Date(instant))) part[p.type] = Number(p.value);
  offset = Date.UTC(part.year!, part.month! - 1, part.day, part.hour, part.minute, part.second) - instant;
  if (offsetByUtcHour.size >= 100_000) offsetByUtcHour.clear(); // ~11 years of hours: bounded
  offsetByUtcHour.set(utcHour, offset);
  return offset;
}

/**
 * New York wall-clock time of an instant, written as if it were UTC (epoch ms): the form the TLC
 * files' naive timestamps take in `readTripMonth`, so every mode computes the same hour of week.
 * New York changes offset only on a whole UTC hour (06:00 / 07:00 UTC), so the offset is looked
 * up once per UTC hour and cached.
 */
export function newYorkWallClockMs(epochMs: number): number {
  if (!Number.isFinite(epochMs)) return Number.NaN;
  return epochMs + newYorkOffsetMs(Math.floor(epochMs / HOUR_MS));
}

/**
 * A ride's `pickup_datetime` as New York wall-clock ms (see newYorkWallClockMs); NaN when it is not
 * an ISO 8601 date-time. Without an offset the text already is New York time (TLC convention);
 * with `Z` or `±hh:mm` the instant is converted to New York time.
 */
export function pickupMsOf(text: string): number {
  const m = NAIVE_DATE_TIME.exec(text);
  if (!m) return Number.NaN;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const fields = [
    Number(y),
    Number(mo) - 1,
    Number(d),
    Number(h),
    Number(mi),
    Number(s ?? 0),
  ] as const;
  const ms = frac ? Math.floor(Number(`0.${frac}`) * 1000) : 0;
  const wall = Date.UTC(...fields, ms);
  // Date.UTC rolls over out-of-range fields (month 13, hour 25): refuse those.
  const check = new Date(wall);
  if (
    check.getUTCFullYear() !== fields[0] ||
    check.getUTCMonth() !== fields[1] ||
    check.getUTCDate() !== fields[2] ||
    check.getUTCHours() !== fields[3] ||
    check.getUTCMinutes() !== fields[4] ||
    check.getUTCSeconds() !== fields[5]
  )
    return Number.NaN;
  if (!zone) return wall;
  const offsetMinutes =
    zone === 'Z'
      ? 0
      : (zone[0] === '-' ? -1 : 1) *
        (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(zone.length - 2)));
  return newYorkWallClockMs(wall - offsetMinutes * 60_000);
}

/** The course's ride_id is an integer; we also accept a string id (echoed back unchanged). */
export const ZRideId = z
  .union(
    [
      z.number().int({ error: 'ride_id must be an integer or a string' }),
      z
        .string()
        .min(1)
        .max(200)
        // Every mode stores ride_id in Postgres text, which cannot hold U+0000: refused at the
        // edge (400 online, a dead letter on the stream) rather than failing the history write.
        .refine((id) => !id.includes('\u0000'), {
          error: 'ride_id must not contain a NUL character (\\u0000)',
        }),
    ],
    {
      error: 'ride_id must be an integer or a non-empty string',
    },
  )
  .describe('Caller id of the ride, echoed back with its prediction');
export type TRideId = z.infer<typeof ZRideId>;

/** One record of the course's `ride_events` stream: `{"ride": {...}, "ride_id": 256}`. */
export const ZRideEvent = z.object({
  ride: ZRide,
  ride_id: ZRideId,
});
export type TRideEvent = z.infer<typeof ZRideEvent>;

export const ZRideWithId = ZRide.extend({ ride_id: ZRideId.optional() });
export type TRideWithId = z.infer<typeof ZRideWithId>;

/** At most this many rides per online request: larger jobs belong to a batch run. */
export const MAX_RIDES_PER_REQUEST = 10_000;

/**
 * At most this many issues are reported for one request, and validation stops there: a 1 MiB
 * body of 10,000 bad rides used to cost ~0.3-0.6 s of CPU and a 3 MB answer of 30,000 issues.
 */
export const MAX_REPORTED_ISSUES = 100;

/** The list itself; its rides are validated one by one (below) so validation can stop early. */
const ZBatchEnvelope = z.object({
  rides: z
    .array(z.unknown(), { error: 'rides must be a list of rides' })
    .min(1, { error: 'rides must contain at least one ride' })
    .max(MAX_RIDES_PER_REQUEST, {
      error: `rides must contain at most ${MAX_RIDES_PER_REQUEST} rides`,
    }),
});

/** What a client may send to `POST /predict`. */
export type TPredictRequestInput = TRideWithId | { rides: TRideWithId[] };
/** One normalized shape for handlers: always a list, `isBatch` says which form came in. */
export type TPredictRequest = { isBatch: boolean; rides: TRideWithId[] };

/** Path of the extra issue that says validation stopped at MAX_REPORTED_ISSUES (always the last issue). */
export const TRUNCATED_ISSUES_PATH = '(more)';

/** Adds a ride's issues to the request's, under `prefix` (a module function: made once, not per request). */
function copyIssues(ctx: z.core.$RefinementCtx, issues: z.core.$ZodIssue[], prefix: (string | number)[]): void {
  for (const issue of issues) ctx.addIssue({ code: 'custom', message: issue.message, path: [...prefix, ...issue.path] });
}

/**
 * Body of `POST /predict`: the course's single ride, or `{ rides: [...] }` with an optional
 * `ride_id` per ride. The form is chosen by the presence of `rides` (not a zod union) so a
 * bad ride gets the error of the form the client meant, with a path like `rides.3.DOLocationID`.
 * After MAX_REPORTED_ISSUES issues validation stops and one last issue at TRUNCATED_ISSUES_PATH
 * says where.
 */
export const ZPredictRequest: z.ZodType<TPredictRequest, TPredictRequestInput> = z
  .custom<TPredictRequestInput>(
    (body) => typeof body === 'object' && body !== null && !Array.isArray(body),
    {
      error: 'body must be a JSON object: a ride or { rides: [...] }',
    },
  )
  .transform((body, ctx): TPredictRequest => {
    if (!('rides' in body)) {
      const ride = ZRideWithId.safeParse(body);
      if (ride.success) return { isBatch: false, rides: [ride.data] };
      copyIssues(ctx, ride.error.issues, []);
      return z.NEVER;
    }
    const envelope = ZBatchEnvelope.safeParse(body);
    if (!envelope.success) {
      copyIssues(ctx, envelope.error.issues, []);
      return z.NEVER;
    }
    const input = envelope.data.rides;
    const rides: TRideWithId[] = [];
    let reported = 0;
    for (let i = 0; i < input.length; i++) {
      const ride = ZRideWithId.safeParse(input[i]);
      if (ride.success) {
        rides.push(ride.data);
        continue;
      }
      const room = MAX_REPORTED_ISSUES - reported;
      copyIssues(ctx, ride.error.issues.slice(0, room), ['rides', i]);
      reported += Math.min(room, ride.error.issues.length);
      if (
        ride.error.issues.length > room ||
        (reported === MAX_REPORTED_ISSUES && i < input.length - 1)
      ) {
        ctx.addIssue({
          code: 'custom',
          path: [TRUNCATED_ISSUES_PATH],
          message: `validation stopped after ${MAX_REPORTED_ISSUES} issues, at ride ${i} of ${input.length}; fix these and send again`,
        });
        return z.NEVER;
      }
    }
    if (reported > 0) return z.NEVER;
    return { isBatch: true, rides };
  });

export type TFieldError = { path: string; message: string };

/** Flatten zod issues to `{ path: "rides.3.PULocationID", message }` for 4xx bodies and reject reasons. */
export function formatFieldErrors(error: z.ZodError): TFieldError[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(body)',
    message: issue.message,
  }));
}
