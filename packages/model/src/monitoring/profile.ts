// The reference profile a model is watched against, and the same counts over any later population
// (a batch run, a day of online or stream predictions). Counts on FIXED bins only, so two profiles
// are always comparable bin by bin and a profile is a deterministic function of its rows (training
// stays byte-reproducible). Browser-safe: no Node imports (the console draws these histograms).
import { z } from 'zod';

import { HOUR_OF_WEEK_SLOTS } from '../features';
import { MAX_ZONE_ID } from '../ride';

/** trip_distance bins (miles): [edge_i, edge_i+1), the last one open; below 0.5 (zero too) is bin 0. */
export const DISTANCE_BIN_EDGES = [0, 0.5, 1, 1.5, 2, 3, 4, 5, 7, 10, 15, 20, 30] as const;
/** Predicted minutes bins: 2-minute bins from 0 to 60 plus ">= 60"; anything below 2 (negative too) is bin 0. */
export const PREDICTION_BIN_EDGES = Array.from({ length: 31 }, (_, i) => i * 2);
/** Zone slots 0..265: slot 0 = a zone outside 1..265 (unknown), as in the model's weight tables. */
export const ZONE_SLOTS = MAX_ZONE_ID + 1;
const PAIR_SLOTS = ZONE_SLOTS * ZONE_SLOTS;

const ZCounts = (length: number, what: string) =>
  z.array(z.number().int().nonnegative()).length(length).describe(what);

/** Histograms and frequencies of one population of scored rides (see file comment). */
export const ZPopulationProfile = z.object({
  rows: z.number().int().nonnegative().describe('Rides counted'),
  distance: ZCounts(DISTANCE_BIN_EDGES.length, 'Rides per trip_distance bin (DISTANCE_BIN_EDGES)'),
  pickupZones: ZCounts(ZONE_SLOTS, 'Rides per PULocationID (slot 0 = outside 1..265)'),
  dropoffZones: ZCounts(ZONE_SLOTS, 'Rides per DOLocationID (slot 0 = outside 1..265)'),
  hourOfWeek: ZCounts(
    HOUR_OF_WEEK_SLOTS,
    'Rides per pickup hour of week (Monday 00h = 0 ... Sunday 23h = 167; 168 = time unknown)',
  ),
  prediction: ZCounts(
    PREDICTION_BIN_EDGES.length,
    'Predictions per 2-minute bin (PREDICTION_BIN_EDGES)',
  ),
  unseenPairRows: z
    .number()
    .int()
    .nonnegative()
    .optional()
    .describe('Rides whose PU_DO pair the reference never saw (only when counted against one)'),
});
export type TPopulationProfile = z.infer<typeof ZPopulationProfile>;

/** `card.profile`: the training rows' profile, plus which pairs training saw. */
export const ZReferenceProfile = ZPopulationProfile.extend({
  schemaVersion: z.literal(1),
  basis: z
    .string()
    .describe(
      'Which rows: the training month(s) after the training filter, predicted by the model itself',
    ),
  pairsSeen: z.number().int().nonnegative().describe('Distinct PU_DO pairs in the training rows'),
  seenPairs: z
    .string()
    .describe('Bitset (base64) over the pair index PU*266+DO: 1 = seen in training'),
});
export type TReferenceProfile = z.infer<typeof ZReferenceProfile>;

function binOf(edges: readonly number[], value: number): number {
  // Few edges: a linear scan from the top is as fast as a binary search and obviously right.
  for (let b = edges.length - 1; b > 0; b--) if (value >= edges[b]!) return b;
  return 0;
}

/** Distance bin of each half mile below the last edge (every edge is a multiple of 0.5 mi). */
const DISTANCE_BIN_OF_HALF_MILE = Uint8Array.from(
  { length: DISTANCE_BIN_EDGES.at(-1)! * 2 },
  (_, half) => binOf(DISTANCE_BIN_EDGES, half / 2),
);

export type TProfileRows = {
  pu: ArrayLike<number>;
  do: ArrayLike<number>;
  /** Miles; NaN (unknown) is not counted in the distance histogram. */
  distance: ArrayLike<number>;
  /** Naive New York pickup time in epoch ms (TTripChunk / TRideColumns); absent or NaN = unknown. */
  pickupMs?: ArrayLike<number>;
  predicted: ArrayLike<number>;
};

/**
 * Counts rides into a profile, batch by batch. With `seenPairs` (a reference's bitset) it also
 * counts the rides whose pair that reference never saw. Cost per ride: a handful of array
 * increments, so a batch run can keep one per model without a second pass over its rows.
 */
export function createProfileAccumulator(options: { seenPairs?: Uint8Array } = {}) {
  // Typed counters and direct bin arithmetic: this runs once per scored row per model in a batch run.
  const distance = new Float64Array(DISTANCE_BIN_EDGES.length);
  const pickupZones = new Float64Array(ZONE_SLOTS);
  const dropoffZones = new Float64Array(ZONE_SLOTS);
  const hourOfWeek = new Float64Array(HOUR_OF_WEEK_SLOTS);
  const prediction = new Float64Array(PREDICTION_BIN_EDGES.length);
  const seen = new Uint8Array(Math.ceil(PAIR_SLOTS / 8));
  const reference = options.seenPairs;
  let rows = 0;
  let unseenPairRows = 0;
  const lastPrediction = PREDICTION_BIN_EDGES.length - 1;
  const lastDistance = DISTANCE_BIN_EDGES.at(-1)!;
  const addRide = (
    pu: number,
    dropoff: number,
    miles: number,
    pickupMs: number,
    predicted: number,
  ) => {
    const puSlot = pu >= 1 && pu <= MAX_ZONE_ID ? pu : 0;
    const doSlot = dropoff >= 1 && dropoff <= MAX_ZONE_ID ? dropoff : 0;
    pickupZones[puSlot]!++;
    dropoffZones[doSlot]!++;
    // NaN compares false both ways and is skipped.
    if (miles < lastDistance)
      distance[DISTANCE_BIN_OF_HALF_MILE[miles < 0 ? 0 : (miles * 2) | 0]!]!++;
    else if (miles >= lastDistance) distance[DISTANCE_BIN_EDGES.length - 1]!++;
    // hourOfWeekOf inlined (epoch hour 0 was a Thursday, hour 72 of the week); NaN/Infinity: unknown.
    hourOfWeek[
      pickupMs - pickupMs === 0
        ? (((Math.floor(pickupMs / 3_600_000) + 72) % 168) + 168) % 168
        : 168
    ]!++;
    if (predicted < 2) prediction[0]!++;
    else if (predicted >= 2) prediction[predicted >= 60 ? lastPrediction : (predicted / 2) | 0]!++;
    const pair = puSlot * ZONE_SLOTS + doSlot; // pairIndexOf, inlined
    seen[pair >> 3]! |= 1 << (pair & 7);
    if (reference && !(reference[pair >> 3]! & (1 << (pair & 7)))) unseenPairRows++;
    rows++;
  };
  return {
    addRide,
    /** Count the first `n` rides of a batch (default: all of them). */
    add(batch: TProfileRows, n = batch.pu.length): void {
      const { pickupMs } = batch;
      for (let i = 0; i < n; i++) {
        addRide(
          batch.pu[i]!,
          batch.do[i]!,
          batch.distance[i]!,
          pickupMs ? pickupMs[i]! : Number.NaN,
          batch.predicted[i]!,
        );
      }
    },
    result(): TPopulationProfile {
      return {
        rows,
        distance: Array.from(distance),
        pickupZones: Array.from(pickupZones),
        dropoffZones: Array.from(dropoffZones),
        hourOfWeek: Array.from(hourOfWeek),
        prediction: Array.from(prediction),
        ...(reference ? { unseenPairRows } : {}),
      };
    },
    /** This population as a model's reference (`card.profile`). */
    reference(basis: string): TReferenceProfile {
      const { unseenPairRows: _ignored, ...counts } = this.result();
      let pairsSeen = 0;
      for (const byte of seen) for (let b = byte; b; b &= b - 1) pairsSeen++;
      return { schemaVersion: 1, basis, ...counts, pairsSeen, seenPairs: encodeBase64(seen) };
    },
  };
}

/** The reference's seen-pairs bitset, for createProfileAccumulator({ seenPairs }). */
export function decodeSeenPairs(profile: Pick<TReferenceProfile, 'seenPairs'>): Uint8Array {
  return decodeBase64(profile.seenPairs);
}

// Base64 by hand: Buffer is Node-only and atob/btoa work on binary strings; this stays browser-safe
// and deterministic.
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
function encodeBase64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i]!;
    const b = bytes[i + 1];
    const c = bytes[i + 2];
    const n = (a << 16) | ((b ?? 0) << 8) | (c ?? 0);
    out += ALPHABET[(n >> 18) & 63]! + ALPHABET[(n >> 12) & 63]!;
    out += b === undefined ? '=' : ALPHABET[(n >> 6) & 63]!;
    out += c === undefined ? '=' : ALPHABET[n & 63]!;
  }
  return out;
}
function decodeBase64(text: string): Uint8Array {
  const clean = text.replace(/=+$/, '');
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let j = 0;
  for (let i = 0; i < clean.length; i += 4) {
    const n =
      (ALPHABET.indexOf(clean[i]!) << 18) |
      (ALPHABET.indexOf(clean[i + 1] ?? 'A') << 12) |
      (ALPHABET.indexOf(clean[i + 2] ?? 'A') << 6) |
      ALPHABET.indexOf(clean[i + 3] ?? 'A');
    if (j < out.length) out[j++] = (n >> 16) & 255;
    if (j < out.length) out[j++] = (n >> 8) & 255;
    if (j < out.length) out[j++] = n & 255;
  }
  return out;
}
