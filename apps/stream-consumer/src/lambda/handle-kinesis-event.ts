import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import type { Logger } from 'pino';

import { processRecords } from '../core/process-records';
import type { THandlerDeps } from '../core/process-records';
import type { TInputRecord } from '../core/types';

/** `arn:aws:kinesis:us-east-1:123456789012:stream/ride_events` -> `ride_events`. */
export function readStreamName(eventSourceARN: string): string {
  const marker = ':stream/';
  const at = eventSourceARN.indexOf(marker);
  return at === -1 ? eventSourceARN : eventSourceARN.slice(at + marker.length);
}

/** Lambda's eventID is `<shardId>:<sequenceNumber>`. */
export function readShardId(eventID: string): string {
  const at = eventID.indexOf(':');
  return at === -1 ? eventID : eventID.slice(0, at);
}

export function toInputRecord(record: KinesisStreamRecord): TInputRecord {
  return {
    streamName: readStreamName(record.eventSourceARN),
    shardId: readShardId(record.eventID),
    sequenceNumber: record.kinesis.sequenceNumber,
    partitionKey: record.kinesis.partitionKey,
    // A Lambda receives the record's data base64-encoded.
    data: Buffer.from(record.kinesis.data, 'base64'),
    arrivalMs: Math.round(record.kinesis.approximateArrivalTimestamp * 1000),
  };
}

/**
 * Handler for a Kinesis event source mapping with `FunctionResponseTypes: ["ReportBatchItemFailures"]`.
 * Poison records are dead-lettered by the core and never reported (retrying them cannot help);
 * records whose output could not be published are reported, so Lambda retries from the first
 * of them. If the database cannot be written, the whole batch is reported: every write is
 * idempotent, so the retry does not duplicate history rows.
 */
export function createKinesisHandler(options: { getDeps: () => Promise<THandlerDeps>; log: Logger }) {
  return async function handler(event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> {
    const records = event.Records.map(toInputRecord);
    try {
      const deps = await options.getDeps();
      const result = await processRecords(records, deps);
      options.log.info({ ...result.counters, modelVersion: result.modelVersion }, 'batch processed');
      return { batchItemFailures: result.failedRecords.map((record) => ({ itemIdentifier: record.sequenceNumber })) };
    } catch (error) {
      options.log.error({ err: error, records: records.length }, 'batch failed; reporting every record for retry');
      return { batchItemFailures: records.map((record) => ({ itemIdentifier: record.sequenceNumber })) };
    }
  };
}
