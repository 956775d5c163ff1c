import type { TInputRecord } from './types';

/**
 * The history's idempotency key for a stream record: its position, which Kinesis keeps for a
 * redelivered record (Lambda retry, consumer restart from an older checkpoint), so a replay
 * hits the (source, idempotency_key) unique index instead of making a second row.
 */
export function buildIdempotencyKey(record: Pick<TInputRecord, 'streamName' | 'shardId' | 'sequenceNumber'>): string {
  return `${record.streamName}/${record.shardId}/${record.sequenceNumber}`;
}
