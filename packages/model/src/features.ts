import type { TFeatureName, TModelInput } from './model-card';
import { MAX_ZONE_ID, newYorkWallClockMs, pickupMsOf, type TRide } from './ride';
import { BOROUGH_PAIRS, BOROUGHS, boroughIndexOf } from './zone-boroughs';

/** Rides in columnar form: the one shape batch, online and streaming all hand to the model. */
export type TRideColumns = {
  pu: Int32Array;
  do: Int32Array;
  distance: Float32Array | Float64Array;
  /**
   * Pickup time as New York wall-clock time written as if it were UTC, in epoch ms (what the TLC
   * files hold: naive local times; see pickupMsOf). NaN or absent = unknown. Only models whose card
   * asks for a time feature (`hour_of_week`, `borough_pair_hour_index`) read it.
   */
  pickupMs?: Float64Array;
};

/**
 * What scoring needs from a model: its registry name and version (every prediction reports
 * both) and one batched predict call (minutes, one per ride, in input order). A structural subset
 * of the runtime's TLoadedModel, so apps and tests can hand either.
 */
export type TScoringModel = {
  name: string;
  version: string;
  predict(columns: TRideColumns): Promise<Float32Array>;
};

/** Hours in a week, plus one slot (168) for "pickup time unknown", whose weights are 0. */
export const HOUR_OF_WEEK_SLOTS = 169;
export const UNKNOWN_HOUR_OF_WEEK = 168;

/**
 * Hour of week (Monday 00:00-00:59 = 0 ... Sunday 23:00 = 167) of a naive local time in epoch ms;
 * 168 when unknown. Epoch day 0 (1970-01-01) was a Thursday.
 */
export function hourOfWeekOf(pickupMs: number): number {
  // Hours since the epoch, shifted to a Monday (epoch day 0 was a Thursday: +72 h), modulo a
  // week, in int32 arithmetic for any time within ±228,000 years: this runs once per ride in every
  // mode (the feature loops below), and the day/weekday form cost ~3x as much per call.
  const hours = Math.floor(pickupMs / 3_600_000);
  if (hours > -2e9 && hours < 2e9) {
    const h = ((hours | 0) + 72) % 168;
    return h < 0 ? h + 168 : h | 0; // `| 0`: -0 (a negative multiple of a week) is 0
  }
  if (!Number.isFinite(hours)) return UNKNOWN_HOUR_OF_WEEK;
  const day = Math.floor(hours / 24);
  return ((((day + 3) % 7) + 7) % 7) * 24 + (((hours % 24) + 24) % 24);
}

/** Size of a table indexed by `borough_pair_hour_index` (49 ordered borough pairs x 169 slots). */
export const BOROUGH_PAIR_HOUR_SLOTS = BOROUGH_PAIRS * HOUR_OF_WEEK_SLOTS;

/** Features computed from the pickup time: a model whose card names one uses pickup time. */
export const TIME_FEATURES: readonly TFeatureName[] = ['hour_of_week', 'borough_pair_hour_index'];

export type TFeatureValues = Int32Array | BigInt64Array | Float32Array | Float64Array | string[];
export type TFeatures = Partial<Record<TFeatureName, TFeatureValues>>;

const ZONE_SLOTS = MAX_ZONE_ID + 1;
/** Borough of each zone slot (slot 0, a null or invalid id, is "Unknown"), for the feature loop. */
const SLOT_BOROUGH = Uint8Array.from({ length: ZONE_SLOTS }, (_, slot) => boroughIndexOf(slot));

/**
 * Rides (already validated by ZRide) to columns: the one conversion online and streaming use.
 * A ride's `pickup_datetime` gives its pickup time; a ride without one was picked up when it
 * reached us: `receivedAtMs` (epoch ms, one for all rides or one per ride: the request's arrival
 * online, the record's ApproximateArrivalTimestamp on the stream), in New York time.
 */
export function ridesToColumns(
  rides: readonly Pick<
    TRide,
    'PULocationID' | 'DOLocationID' | 'trip_distance' | 'pickup_datetime'
  >[],
  options: { receivedAtMs?: number | ArrayLike<number> } = {},
): TRideColumns {
  const n = rides.length;
  const columns = {
    pu: new Int32Array(n),
    do: new Int32Array(n),
    distance: new Float32Array(n),
    pickupMs: new Float64Array(n),
  };
  const { receivedAtMs } = options;
  const sameArrival =
    typeof receivedAtMs === 'number' ? newYorkWallClockMs(receivedAtMs) : Number.NaN;
  for (let i = 0; i < n; i++) {
    const ride = rides[i]!;
    columns.pu[i] = ride.PULocationID;
    columns.do[i] = ride.DOLocationID;
    columns.distance[i] = ride.trip_distance;
    columns.pickupMs[i] =
      ride.pickup_datetime !== undefined
        ? pickupMsOf(ride.pickup_datetime)
        : typeof receivedAtMs === 'number'
          ? sameArrival
          : receivedAtMs
            ? newYorkWallClockMs(receivedAtMs[i]!)
            : Number.NaN;
  }
  return columns;
}

function zoneSlot(id: number): number {
  // Rows are validated before scoring; this guard only keeps one stray id from failing a whole
  // batch inside onnxruntime (Gather out of range). Slot 0 holds the intercept-only weight.
  return id >= 1 && id <= MAX_ZONE_ID ? id : 0;
}

/** Per zone slot: its borough's part of borough_pair_hour_index, as pick-up and as drop-off zone. */
const PICKUP_BOROUGH_BASE = Int32Array.from(
  SLOT_BOROUGH,
  (b) => b * BOROUGHS.length * HOUR_OF_WEEK_SLOTS,
);
const DROPOFF_BOROUGH_BASE = Int32Array.from(SLOT_BOROUGH, (b) => b * HOUR_OF_WEEK_SLOTS);

/**
 * One key for the (PU borough, DO borough) x hour-of-week tables, computed here once per ride
 * rather than in the graph from pair_index and hour_of_week (two more nodes and a lookup per row).
 * With `pairs`, also writes pair_index in the same pass (the zones graph reads both): each ride's
 * zone ids are then read and range-checked once.
 */
function boroughPairHourColumn(columns: TRideColumns, pairs?: Int32Array): Int32Array {
  const { pu, do: dropoff, pickupMs: pickup } = columns;
  const n = pu.length;
  const out = new Int32Array(n);
  // Module bindings read once into locals, not once per row.
  const pickupBase = PICKUP_BOROUGH_BASE;
  const dropoffBase = DROPOFF_BOROUGH_BASE;
  const maxZone = MAX_ZONE_ID;
  const slots = ZONE_SLOTS;
  for (let i = 0; i < n; i++) {
    const p = pu[i]!;
    const d = dropoff[i]!;
    const pickupSlot = p >= 1 && p <= maxZone ? p : 0;
    const dropoffSlot = d >= 1 && d <= maxZone ? d : 0;
    if (pairs) pairs[i] = pickupSlot * slots + dropoffSlot;
    out[i] =
      pickupBase[pickupSlot]! +
      dropoffBase[dropoffSlot]! +
      (pickup ? hourOfWeekOf(pickup[i]!) : UNKNOWN_HOUR_OF_WEEK);
  }
  return out;
}

function computeFeature(
  columns: TRideColumns,
  feature: TFeatureName,
  type: TModelInput['type'],
): TFeatureValues {
  const n = columns.pu.length;
  switch (feature) {
    case 'pair_index': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++)
        out[i] = zoneSlot(columns.pu[i]!) * ZONE_SLOTS + zoneSlot(columns.do[i]!);
      return castNumeric(out, type);
    }
    case 'PULocationID':
      return castNumeric(columns.pu, type);
    case 'DOLocationID':
      return castNumeric(columns.do, type);
    case 'trip_distance':
      return castNumeric(columns.distance, type);
    case 'hour_of_week': {
      const out = new Int32Array(n);
      const pickup = columns.pickupMs;
      if (pickup) for (let i = 0; i < n; i++) out[i] = hourOfWeekOf(pickup[i]!);
      else out.fill(UNKNOWN_HOUR_OF_WEEK);
      return castNumeric(out, type);
    }
    case 'borough_pair_hour_index':
      return castNumeric(boroughPairHourColumn(columns), type);
    case 'PU_DO': {
      // The course's categorical feature: f"{PULocationID}_{DOLocationID}".
      const out = new Array<string>(n);
      for (let i = 0; i < n; i++) out[i] = `${columns.pu[i]}_${columns.do[i]}`;
      return out;
    }
  }
}

function castNumeric(
  values: Int32Array | Float32Array | Float64Array,
  type: TModelInput['type'],
): TFeatureValues {
  switch (type) {
    case 'int32':
      return values instanceof Int32Array ? values : Int32Array.from(values);
    case 'float32':
      return values instanceof Float32Array ? values : Float32Array.from(values);
    case 'float64':
      return values instanceof Float64Array ? values : Float64Array.from(values);
    case 'int64': {
      const out = new BigInt64Array(values.length);
      for (let i = 0; i < values.length; i++) out[i] = BigInt(Math.trunc(values[i]!));
      return out;
    }
    case 'string':
      return Array.from(values, String);
  }
}

function asksInt32(
  inputs: readonly { feature: TFeatureName; type: string }[],
  feature: TFeatureName,
): boolean {
  return inputs.some((input) => input.feature === feature && input.type === 'int32');
}

/**
 * THE feature function: every mode (batch, online, streaming) and training go through it, so they
 * can never disagree. Computes only the features the model's card asks for, in the element type
 * each ONNX input expects. Columnar in, columnar out: no row objects, whatever the batch size.
 */
export function computeFeatures(
  columns: TRideColumns,
  inputs: readonly Pick<TModelInput, 'feature' | 'type'>[],
): TFeatures {
  if (
    columns.do.length !== columns.pu.length ||
    columns.distance.length !== columns.pu.length ||
    (columns.pickupMs && columns.pickupMs.length !== columns.pu.length)
  ) {
    throw new Error('computeFeatures: pu, do, distance and pickupMs must have the same length');
  }
  const features: TFeatures = {};
  if (asksInt32(inputs, 'pair_index') && asksInt32(inputs, 'borough_pair_hour_index')) {
    const pairs = new Int32Array(columns.pu.length);
    features.borough_pair_hour_index = boroughPairHourColumn(columns, pairs);
    features.pair_index = pairs;
  }
  for (const input of inputs)
    features[input.feature] ??= computeFeature(columns, input.feature, input.type);
  return features;
}

/**
 * Index of (PU borough, DO borough, hour of week) in a table of BOROUGH_PAIR_HOUR_SLOTS:
 * boroughPairIndexOf(PU, DO) * 169 + hourOfWeek; a zone outside 1..265 counts as borough "Unknown".
 */
export function boroughPairHourIndexOf(pu: number, dropoff: number, hourOfWeek: number): number {
  return PICKUP_BOROUGH_BASE[zoneSlot(pu)]! + DROPOFF_BOROUGH_BASE[zoneSlot(dropoff)]! + hourOfWeek;
}

/** Index of a zone pair in the linear model's weight table (PU*266+DO). */
export function pairIndexOf(pu: number, dropoff: number): number {
  return zoneSlot(pu) * ZONE_SLOTS + zoneSlot(dropoff);
}
