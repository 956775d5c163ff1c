import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import type { KinesisClient } from '@aws-sdk/client-kinesis';

import type { TOutputPublisher, TPutEntry } from './types';

/** AWS PutRecords limits: 500 entries and 5 MiB (data + partition keys) per request. */
const MAX_ENTRIES_PER_REQUEST = 500;
const MAX_BYTES_PER_REQUEST = 5 * 1024 * 1024;

export type TRetryPolicy = {
  /** Attempts per entry, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
};

export const DEFAULT_RETRY_POLICY: TRetryPolicy = { maxAttempts: 8, baseDelayMs: 100, maxDelayMs: 5_000 };

export type TPublishStats = { requests: number; retriedEntries: number; throttledEntries: number };

/** Exponential backoff with full jitter (the AWS architecture blog's recommendation for throttling). */
export function computeBackoffMs(attempt: number, policy: TRetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

/** Split entries into PutRecords-sized chunks (by count and by bytes), as index lists. */
export function chunkEntries(entries: TPutEntry[], indexes: number[]): number[][] {
  const chunks: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  for (const index of indexes) {
    const entry = entries[index]!;
    const size = entry.data.byteLength + Buffer.byteLength(entry.partitionKey);
    if (current.length > 0 && (current.length === MAX_ENTRIES_PER_REQUEST || bytes + size > MAX_BYTES_PER_REQUEST)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(index);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Put entries with PutRecords, re-sending ONLY the entries whose result carries an ErrorCode
 * (ProvisionedThroughputExceededException or InternalFailure), with backoff between rounds.
 * A whole-request error (throttled request, network) retries every entry of that request.
 * Resolves with the indexes of the entries that still failed after `maxAttempts`; the caller
 * decides what that means (Lambda: batchItemFailures; consumer: no checkpoint, retry batch).
 */
export function createKinesisPublisher(options: {
  client: KinesisClient;
  streamName: string;
  retry?: TRetryPolicy;
  onRetry?: (info: { attempt: number; failed: number; errorCodes: Record<string, number> }) => void;
  sleepMs?: (ms: number) => Promise<void>;
}): TOutputPublisher & { stats: TPublishStats } {
  const policy = options.retry ?? DEFAULT_RETRY_POLICY;
  const wait = options.sleepMs ?? sleep;
  const stats: TPublishStats = { requests: 0, retriedEntries: 0, throttledEntries: 0 };

  async function putChunk(entries: TPutEntry[], chunk: number[], errorCodes: Record<string, number>): Promise<number[]> {
    stats.requests += 1;
    try {
      const response = await options.client.send(
        new PutRecordsCommand({
          StreamName: options.streamName,
          Records: chunk.map((index) => ({ Data: entries[index]!.data, PartitionKey: entries[index]!.partitionKey })),
        }),
      );
      if (!response.FailedRecordCount) return [];
      const failed: number[] = [];
      // Results come back in request order, one per entry.
      response.Records?.forEach((result, position) => {
        if (result.ErrorCode) {
          failed.push(chunk[position]!);
          errorCodes[result.ErrorCode] = (errorCodes[result.ErrorCode] ?? 0) + 1;
        }
      });
      return failed;
    } catch (error) {
      const name = (error as Error).name || 'Error';
      errorCodes[name] = (errorCodes[name] ?? 0) + chunk.length;
      return chunk;
    }
  }

  return {
    stats,
    async publish(entries) {
      let pending = entries.map((_, index) => index);
      for (let attempt = 1; pending.length > 0; attempt += 1) {
        const errorCodes: Record<string, number> = {};
        const results = await Promise.all(chunkEntries(entries, pending).map((chunk) => putChunk(entries, chunk, errorCodes)));
        pending = results.flat().sort((a, b) => a - b);
        stats.throttledEntries += errorCodes.ProvisionedThroughputExceededException ?? 0;
        if (pending.length === 0 || attempt >= policy.maxAttempts) break;
        stats.retriedEntries += pending.length;
        options.onRetry?.({ attempt, failed: pending.length, errorCodes });
        await wait(computeBackoffMs(attempt, policy));
      }
      return { failedIndexes: pending };
    },
  };
}
