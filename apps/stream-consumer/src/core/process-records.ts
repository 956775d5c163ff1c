import { ridesToColumns, type TScoringModel } from '@tripcast/model/features';
import { decodeRideEvent } from './decode';
import { buildIdempotencyKey } from './idempotency';
import { createPutEntryBuilder } from './output';
import type {
  TBatchCounters,
  TChallengerBatchResult,
  TChallengerSlot,
  TDeadLetterRow,
  TDeadLetterWriter,
  THistoryRow,
  THistoryWriter,
  TInputRecord,
  TOutputPublisher,
  TPutEntry,
} from './types';
import type { TRideEvent } from '@tripcast/model';

export type THandlerDeps = {
  /** The model to score this batch with (the production model, re-resolved on promotion). */
  getModel(): TScoringModel;
  /** Output stream; `null` under TEST_RUN (predict and record, do not publish: the course's flag). */
  publisher: TOutputPublisher | null;
  /** The challengers to score every batch with beside production (none when absent). */
  getChallengers?(): readonly TChallengerSlot[];
  /**
   * Optional output stream of a challenger's own course-shaped records (config), or null. Its
   * publish is best effort: failures are counted, never retried into the shard's batch.
   */
  challengerPublisher?(version: string): TOutputPublisher | null;
  history: THistoryWriter;
  deadLetters: TDeadLetterWriter;
  now?: () => number;
};

export type TBatchResult = {
  counters: TBatchCounters;
  /** Records whose prediction could not be published after retries: retry them, do not checkpoint past them. */
  failedRecords: TInputRecord[];
  modelVersion: string | null;
  challengers: TChallengerBatchResult[];
};

/**
 * The one handler core of both runtimes (Lambda and standalone consumer).
 *
 * decode + validate every record -> ONE model call for the valid ones -> PutRecords of the
 * course output (retrying only failed entries) -> history rows (scored and rejected) and dead
 * letters. Poison records never fail the batch: they are dead-lettered and recorded as
 * rejected. Throws only when the database cannot be written, so the runtime retries the batch
 * (every write is idempotent on the record's position, so a retry never duplicates a row).
 */
export async function processRecords(records: TInputRecord[], deps: THandlerDeps): Promise<TBatchResult> {
  const now = deps.now ?? Date.now;
  const counters: TBatchCounters = { received: records.length, scored: 0, rejected: 0, published: 0, publishFailed: 0, historyRefused: 0 };
  const valid: { record: TInputRecord; event: TRideEvent }[] = [];
  const history: THistoryRow[] = [];
  const deadLetters: TDeadLetterRow[] = [];

  for (const record of records) {
    const decoded = decodeRideEvent(record.data);
    if (decoded.ok) {
      valid.push({ record, event: decoded.event });
      continue;
    }
    counters.rejected += 1;
    deadLetters.push({
      streamName: record.streamName,
      shardId: record.shardId,
      sequenceNumber: record.sequenceNumber,
      payload: record.data,
      reason: decoded.reason,
    });
    history.push({
      idempotencyKey: buildIdempotencyKey(record),
      status: 'rejected',
      rideId: decoded.rideId ?? null,
      puLocationId: null,
      doLocationId: null,
      tripDistance: null,
      predictedDuration: null,
      modelName: null,
      modelVersion: null,
      latencyMs: null,
      reason: decoded.reason,
    });
  }

  let modelVersion: string | null = null;
  const failedRecords: TInputRecord[] = [];
  const challengers: TChallengerBatchResult[] = [];
  if (valid.length > 0) {
    const model = deps.getModel();
    modelVersion = model.version;
    // The one conversion online uses too; a ride without pickup_datetime was picked up when its
    // record reached the stream (ApproximateArrivalTimestamp; the current time if unknown).
    const arrivalFallbackMs = Date.now();
    const columns = ridesToColumns(
      valid.map(({ event }) => event.ride),
      { receivedAtMs: valid.map(({ record }) => record.arrivalMs ?? arrivalFallbackMs) },
    );
    const predictions = await model.predict(columns);

    const buildEntry = createPutEntryBuilder(model.name, model.version);
    const entries: TPutEntry[] = valid.map(({ event }, i) => buildEntry(event.ride_id, predictions[i]!));
    const failed = new Set(deps.publisher ? (await deps.publisher.publish(entries)).failedIndexes : []);
    counters.published = deps.publisher ? entries.length - failed.size : 0;
    counters.publishFailed = failed.size;

    const scoredAt = now();
    valid.forEach(({ record, event }, i) => {
      if (failed.has(i)) {
        failedRecords.push(record);
        return;
      }
      counters.scored += 1;
      history.push({
        idempotencyKey: buildIdempotencyKey(record),
        status: 'scored',
        rideId: String(event.ride_id),
        puLocationId: event.ride.PULocationID,
        doLocationId: event.ride.DOLocationID,
        tripDistance: event.ride.trip_distance,
        predictedDuration: predictions[i]!,
        modelName: model.name,
        modelVersion: model.version,
        latencyMs: record.arrivalMs === undefined ? null : Math.max(0, scoredAt - record.arrivalMs),
        reason: null,
      });
    });

    // Challengers after production's output is on its stream: one model call each on the same
    // columns. A failing one is skipped and reported, never failing the batch (which would
    // block the shard and hold back production's output behind it).
    for (const slot of deps.getChallengers?.() ?? []) {
      challengers.push(await scoreChallenger(slot, valid, columns, history, deps, now));
    }
  }

  // Dead letters first, then history: a retry after a failed history write then never makes a
  // second letter for a history row the database refused (the history sink letters those last).
  if (deadLetters.length > 0) await deps.deadLetters.insertDeadLetters(deadLetters);
  if (history.length > 0) counters.historyRefused = (await deps.history.insertStreamHistory(history)).refused;
  return { counters, failedRecords, modelVersion, challengers };
}

async function scoreChallenger(
  slot: TChallengerSlot,
  valid: { record: TInputRecord; event: TRideEvent }[],
  columns: Parameters<TScoringModel['predict']>[0],
  history: THistoryRow[],
  deps: THandlerDeps,
  now: () => number,
): Promise<TChallengerBatchResult> {
  const result: TChallengerBatchResult = { version: slot.version, scored: 0, published: 0, publishFailed: 0, error: slot.error };
  const model = slot.model;
  if (!model) {
    result.error ??= 'not loaded';
    return result;
  }
  let predictions: Float32Array;
  try {
    predictions = await model.predict(columns);
    if (predictions.length !== valid.length) throw new Error(`returned ${predictions.length} predictions for ${valid.length} rides`);
  } catch (error) {
    result.error = `predict failed: ${(error as Error).message}`;
    return result;
  }
  const scoredAt = now();
  valid.forEach(({ record, event }, i) => {
    history.push({
      idempotencyKey: buildIdempotencyKey(record),
      status: 'scored',
      rideId: String(event.ride_id),
      puLocationId: event.ride.PULocationID,
      doLocationId: event.ride.DOLocationID,
      tripDistance: event.ride.trip_distance,
      predictedDuration: predictions[i]!,
      modelName: model.name,
      modelVersion: model.version,
      latencyMs: record.arrivalMs === undefined ? null : Math.max(0, scoredAt - record.arrivalMs),
      reason: null,
      role: 'challenger',
    });
  });
  result.scored = valid.length;
  const publisher = deps.challengerPublisher?.(model.version) ?? null;
  if (publisher) {
    const buildEntry = createPutEntryBuilder(model.name, model.version);
    try {
      const { failedIndexes } = await publisher.publish(valid.map(({ event }, i) => buildEntry(event.ride_id, predictions[i]!)));
      result.publishFailed = failedIndexes.length;
      result.published = valid.length - failedIndexes.length;
    } catch (error) {
      result.publishFailed = valid.length;
      result.error = `publish failed: ${(error as Error).message}`;
    }
  }
  return result;
}
