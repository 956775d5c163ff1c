import { DescribeStreamSummaryCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { TStreamStatus } from './health';

/**
 * Health's view of the input stream: DescribeStreamSummary answers whether the Kinesis endpoint
 * is reachable, the credentials work and the stream exists and is ACTIVE, in one cheap call.
 */
export function createStreamDescriber(options: {
  streamName: string;
  region: string;
  endpoint?: string;
  /** Explicit credentials (tests, the local stack); otherwise the SDK's default chain (env, role). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}): { describe: () => Promise<TStreamStatus>; close: () => void } {
  const client = new KinesisClient({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    // The SDK's default HTTP/2 handler fails against a plain-http local endpoint (ERR_HTTP2_ERROR
    // against kinesalite or LocalStack); the HTTP/1.1 handler works everywhere.
    requestHandler: new NodeHttpHandler({ connectionTimeout: 1_000, requestTimeout: 2_000 }),
    maxAttempts: 1,
  });
  return {
    async describe() {
      const result = await client.send(new DescribeStreamSummaryCommand({ StreamName: options.streamName }));
      return {
        name: options.streamName,
        endpoint: options.endpoint ?? null,
        streamStatus: result.StreamDescriptionSummary?.StreamStatus ?? 'UNKNOWN',
      };
    },
    close: () => client.destroy(),
  };
}
