import type { TRideEvent } from '@tripcast/model';
import type { TScoringModel } from '@tripcast/model/features';

/**
 * One input record, whichever runtime read it. `data` is the record's raw bytes (already
 * base64-decoded for Lambda events); the position fields make the idempotency key and the
 * dead-letter position.
 */
export type TInputRecord = {
  streamName: string;
  shardId: string;
  sequenceNumber: string;
  partitionKey: string;
  data: Uint8Array;
  /** Kinesis ApproximateArrivalTimestamp in epoch ms (for latency), when known. */
  arrivalMs?: number;
};

/**
 * A challenger as the handler sees it: its version, and its model, or why it could not be
 * loaded (then it is skipped and reported). See @tripcast/model/store's watcher.
 */
export type TChallengerSlot = {
  version: string;
  model: TScoringModel | null;
  error: string | null;
};

/** What one challenger did with one batch (reported in /metrics, /health and the console). */
export type TChallengerBatchResult = {
  version: string;
  scored: number;
  published: number;
  publishFailed: number;
  /** Why it was skipped for this batch (failed to load, or its predict threw), else null. */
  error: string | null;
};

export type TDecodeResult =
  | { ok: true; event: TRideEvent }
  | { ok: false; reason: string; rideId?: string };

export type THistoryRow = {
  idempotencyKey: string;
  status: 'scored' | 'rejected';
  rideId: string | null;
  puLocationId: number | null;
  doLocationId: number | null;
  tripDistance: number | null;
  predictedDuration: number | null;
  modelName: string | null;
  modelVersion: string | null;
  latencyMs: number | null;
  reason: string | null;
  /** Default production. */
  role?: 'production' | 'challenger';
};

export type TDeadLetterRow = {
  streamName: string;
  shardId: string;
  sequenceNumber: string;
  /** The record's data exactly as received (stored as bytea: NUL and invalid UTF-8 are safe). */
  payload: Uint8Array;
  reason: string;
};

/**
 * Writes stream predictions; must be idempotent on (source 'stream', idempotencyKey). Rows the
 * database refuses for their data are kept aside (dead letters) and counted, never thrown: one
 * bad row must not block the shard. Throws only when the database cannot be written.
 */
export type THistoryWriter = { insertStreamHistory(rows: THistoryRow[]): Promise<{ refused: number }> };
/** Keeps poison records aside; must be idempotent on the record's position. */
export type TDeadLetterWriter = { insertDeadLetters(rows: TDeadLetterRow[]): Promise<void> };

/** Course output record (`ride_predictions`), before serialisation. */
export type TOutputRecord = {
  model: string;
  version: string;
  prediction: { ride_duration: number; ride_id: number | string };
};

export type TPutEntry = { data: Uint8Array; partitionKey: string };
/** Puts entries on the output stream; resolves with the indexes of entries that still failed. */
export type TOutputPublisher = { publish(entries: TPutEntry[]): Promise<{ failedIndexes: number[] }> };

export type TBatchCounters = {
  received: number;
  scored: number;
  rejected: number;
  published: number;
  publishFailed: number;
  /** History rows the database refused for their data (dead-lettered by the history sink). */
  historyRefused: number;
};
