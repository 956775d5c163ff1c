import { GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-kinesis';
import type { KinesisClient, _Record as TKinesisRecord } from '@aws-sdk/client-kinesis';
import type { Logger } from 'pino';

import { processRecords } from '../core/process-records';
import type { THandlerDeps } from '../core/process-records';
import type { TInputRecord } from '../core/types';
import type { TLeaseStore } from '@tripcast/db/queries/streams';
import type { TConsumerMetrics } from './metrics';

export type TShardWorkerOptions = {
  kinesis: KinesisClient;
  streamName: string;
  shardId: string;
  leases: TLeaseStore;
  handler: THandlerDeps;
  metrics: TConsumerMetrics;
  log: Logger;
  /** GetRecords Limit (AWS max 10,000). */
  batchSize: number;
  /** Pause after an empty read: AWS allows 5 GetRecords per second per shard. */
  idlePollMs: number;
  /** Where to start a shard that has no checkpoint. */
  initialPosition: 'TRIM_HORIZON' | 'LATEST';
  /** True once this worker should stop after its current batch (SIGTERM, or lease lost). */
  shouldStop: () => boolean;
};

export type TShardWorkerEnd = 'ended' | 'stopped' | 'lease-lost';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function toInputRecord(streamName: string, shardId: string, record: TKinesisRecord): TInputRecord {
  return {
    streamName,
    shardId,
    sequenceNumber: record.SequenceNumber!,
    partitionKey: record.PartitionKey ?? '',
    data: record.Data ?? new Uint8Array(),
    arrivalMs: record.ApproximateArrivalTimestamp?.getTime(),
  };
}

/**
 * Read one leased shard from its checkpoint to its end (or until told to stop).
 *
 * Per batch: handler core (output + history + dead letters) THEN checkpoint, so a crash at any
 * point re-reads at most the batch in flight, whose history rows are idempotent. The
 * checkpoint is fenced by the lease: if another instance took the shard, we stop.
 */
export async function runShardWorker(options: TShardWorkerOptions): Promise<TShardWorkerEnd> {
  const { kinesis, streamName, shardId, leases, metrics, log } = options;
  const checkpoint = await leases.getCheckpoint(shardId);
  if (checkpoint?.isShardEnded) return 'ended';
  let position = checkpoint?.sequenceNumber ?? null;

  const openIterator = async (): Promise<string | undefined> => {
    const response = await kinesis.send(
      new GetShardIteratorCommand({
        StreamName: streamName,
        ShardId: shardId,
        ...(position
          ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: position }
          : { ShardIteratorType: options.initialPosition }),
      }),
    );
    return response.ShardIterator;
  };

  // Never rejects: a prefetch abandoned on stop must not become an unhandled rejection.
  const fetchRecords = (shardIterator: string) =>
    kinesis.send(new GetRecordsCommand({ ShardIterator: shardIterator, Limit: options.batchSize })).then(
      (response) => ({ response, error: null }),
      (error: unknown) => ({ response: null, error: error as Error }),
    );

  let iterator = await openIterator();
  log.info({ shardId, from: position ?? options.initialPosition }, 'shard worker started');
  let failureDelayMs = 200;
  let inFlight = iterator ? fetchRecords(iterator) : null;

  while (inFlight && !options.shouldStop()) {
    const { response, error } = await inFlight;
    inFlight = null;
    if (!response) {
      if (error.name !== 'ExpiredIteratorException') {
        metrics.markShardReadFailed(shardId, `GetRecords: ${error.message}`);
        log.warn({ shardId, err: error }, 'GetRecords failed, backing off');
        await sleep(failureDelayMs);
        failureDelayMs = Math.min(failureDelayMs * 2, 10_000);
      }
      // Re-open from the last checkpointed position: nothing after it was processed.
      iterator = await openIterator();
      inFlight = iterator ? fetchRecords(iterator) : null;
      continue;
    }
    failureDelayMs = 200;
    metrics.markShardReadOk(shardId);
    metrics.recordIteratorAge(shardId, response.MillisBehindLatest);
    const records = (response.Records ?? []).map((record) => toInputRecord(streamName, shardId, record));
    iterator = response.NextShardIterator;
    // Read the next batch while this one is scored, published and recorded (one read in flight
    // per shard: within AWS's 5 GetRecords/s/shard at any realistic batch time).
    if (iterator && records.length > 0) inFlight = fetchRecords(iterator);

    if (records.length > 0) {
      metrics.markShardWaiting(shardId, records.length);
      const isDone = await processUntilDone(records, options);
      if (!isDone) return 'stopped';
      const last = records[records.length - 1]!.sequenceNumber;
      const isHeld = await leases.writeCheckpoint(shardId, last);
      if (!isHeld) {
        log.warn({ shardId }, 'lease lost to another instance; stopping this shard');
        metrics.totals.leasesLost += 1;
        return 'lease-lost';
      }
      position = last;
      metrics.totals.checkpoints += 1;
      metrics.markShardAdvanced(shardId);
    }

    if (!iterator) {
      // A closed shard read to its end: children may start once this is recorded.
      const isHeld = await leases.writeCheckpoint(shardId, position, true);
      if (!isHeld) return 'lease-lost';
      log.info({ shardId }, 'shard ended (split or merge): finished');
      return 'ended';
    }
    if (records.length === 0) {
      await sleep(options.idlePollMs);
      inFlight = fetchRecords(iterator);
    }
  }
  return 'stopped';
}

/**
 * Run the core on a batch until every record is published and recorded. Publish failures that
 * outlived PutRecords' own retries, and database errors, are retried here (only the failed
 * records; history is idempotent). False when asked to stop before the batch was done: then
 * no checkpoint is written and the next owner re-reads the batch.
 */
async function processUntilDone(records: TInputRecord[], options: TShardWorkerOptions): Promise<boolean> {
  let pending = records;
  let delayMs = 500;
  while (pending.length > 0) {
    try {
      const result = await processRecords(pending, options.handler);
      options.metrics.recordBatch({ ...result.counters, modelVersion: result.modelVersion });
      for (const version of options.metrics.recordChallengers(result.challengers)) {
        const failing = result.challengers.find((challenger) => challenger.version === version);
        options.log.warn({ shardId: options.shardId, challenger: version, error: failing?.error }, 'challenger skipped (production unaffected)');
      }
      pending = result.failedRecords;
      if (pending.length === 0) return true;
      options.log.warn({ shardId: options.shardId, failed: pending.length }, 'output not accepted after retries; retrying those records');
    } catch (error) {
      options.metrics.totals.batchFailures += 1;
      options.metrics.markShardFailed(options.shardId, error instanceof Error ? error.message : String(error));
      options.log.error({ shardId: options.shardId, err: error }, 'batch failed; retrying');
    }
    if (options.shouldStop()) return false;
    await sleep(delayMs);
    delayMs = Math.min(delayMs * 2, 10_000);
  }
  return true;
}
