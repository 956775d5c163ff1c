import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import type { KinesisClient } from '@aws-sdk/client-kinesis';

import type { TRideEvent } from '@tripcast/model';
import { readTripMonth } from '@tripcast/model/trips';

/** A small seeded PRNG (mulberry32): the same seed gives the same rides, for repeatable demos. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * Plausible course ride events: zones 1..263 (264/265 are "Unknown"), distance log-normal
 * around 2.5 miles like the TLC's green taxis, ride ids counting up from `firstRideId`.
 */
export function* generateRideEvents(options: { count: number; firstRideId: number; seed: number }): Generator<TRideEvent> {
  const random = createRandom(options.seed);
  for (let i = 0; i < options.count; i++) {
    const normal = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    yield {
      ride: {
        PULocationID: 1 + Math.floor(random() * 263),
        DOLocationID: 1 + Math.floor(random() * 263),
        trip_distance: Math.min(60, Math.max(0.1, Math.round(Math.exp(0.9 + 0.8 * normal) * 100) / 100)),
      },
      ride_id: options.firstRideId + i,
    };
  }
}

/** str(ride_id) when a pre-serialised event has one, else a spread-out key. */
function readPartitionKey(text: string, position: number): string {
  const match = /"ride_id":\s*"?([^",}]{1,256})/.exec(text);
  return match?.[1] ?? `event-${position}`;
}

export type TProduceStats = { sent: number; failed: number; seconds: number };

/**
 * Put events on a stream at about `ratePerSecond`, in PutRecords calls of up to 500, partition
 * key `str(ride_id)`. Entries the stream refuses (throttling) are re-sent, so `sent` counts
 * events that are on the stream. `payloads` may be strings to put poison records on purpose.
 */
export async function produceEvents(options: {
  kinesis: KinesisClient;
  streamName: string;
  events: Iterable<TRideEvent | string> | AsyncIterable<TRideEvent | string>;
  ratePerSecond: number;
  onProgress?: (stats: TProduceStats) => void;
  signal?: AbortSignal;
}): Promise<TProduceStats> {
  const started = performance.now();
  let sent = 0;
  let failed = 0;
  let pending: { Data: Uint8Array; PartitionKey: string }[] = [];

  const flush = async () => {
    let entries = pending;
    pending = [];
    for (let attempt = 0; entries.length > 0; attempt++) {
      const response = await options.kinesis.send(new PutRecordsCommand({ StreamName: options.streamName, Records: entries }));
      const retry = entries.filter((_, i) => response.Records?.[i]?.ErrorCode);
      sent += entries.length - retry.length;
      if (retry.length > 0) {
        failed += retry.length;
        await new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 50 * 2 ** attempt)));
      }
      entries = retry;
    }
    // Pace: never ahead of the requested rate.
    const aheadMs = (sent / options.ratePerSecond) * 1000 - (performance.now() - started);
    if (aheadMs > 0) await new Promise((resolve) => setTimeout(resolve, aheadMs));
    options.onProgress?.({ sent, failed, seconds: (performance.now() - started) / 1000 });
  };

  const batchSize = Math.max(1, Math.min(500, Math.ceil(options.ratePerSecond / 10)));
  for await (const event of options.events) {
    if (options.signal?.aborted) break;
    const text = typeof event === 'string' ? event : JSON.stringify(event);
    const partitionKey = typeof event === 'string' ? readPartitionKey(text, sent + pending.length) : String(event.ride_id);
    pending.push({ Data: Buffer.from(text, 'utf8'), PartitionKey: partitionKey });
    if (pending.length >= batchSize) await flush();
  }
  if (pending.length > 0) await flush();
  return { sent, failed, seconds: (performance.now() - started) / 1000 };
}

/**
 * Course ride events from a local TLC Parquet month, in file order (the model package's reader).
 * Rows are sent as they are: real files hold null zones and zero or missing distances, which
 * the consumer rejects into the dead letters, as it would in production. Nulls are sent as
 * JSON null (a course producer would send NaN, which is not JSON).
 */
export async function* readRideEventsFromTripFile(options: { file: string; count: number; firstRideId: number }): AsyncGenerator<TRideEvent | string> {
  let sent = 0;
  for await (const chunk of readTripMonth(options.file, { chunkSize: Math.min(65_536, options.count) })) {
    for (let i = 0; i < chunk.length && sent < options.count; i++, sent++) {
      const pu = chunk.pu[i]!;
      const dropoff = chunk.do[i]!;
      const distance = chunk.distance[i]!;
      yield JSON.stringify({
        ride: { PULocationID: pu > 0 ? pu : null, DOLocationID: dropoff > 0 ? dropoff : null, trip_distance: Number.isNaN(distance) ? null : distance },
        ride_id: options.firstRideId + chunk.rowOffset + i,
      });
    }
    if (sent >= options.count) return;
  }
}
