import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  ResourceInUseException,
  waitUntilStreamExists,
} from '@aws-sdk/client-kinesis';
import { createLocalKinesisClient, LOCAL_AWS_CREDENTIALS } from './aws';

export type TStreamSpec = { name: string; shardCount: number };

/** Creates each stream unless it exists (a restart keeps persisted streams) and waits until ACTIVE. */
export async function ensureStreams(options: {
  endpoint: string;
  region: string;
  streams: TStreamSpec[];
}): Promise<void> {
  const client = createLocalKinesisClient({
    region: options.region,
    credentials: LOCAL_AWS_CREDENTIALS,
    kinesis: { endpoint: options.endpoint },
  });
  try {
    for (const { name, shardCount } of options.streams) {
      try {
        await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shardCount }));
      } catch (error) {
        if (!(error instanceof ResourceInUseException)) throw error;
      }
      await waitUntilStreamExists(
        { client, maxWaitTime: 30, minDelay: 1, maxDelay: 1 },
        { StreamName: name },
      );
      const summary = await client.send(new DescribeStreamSummaryCommand({ StreamName: name }));
      if (summary.StreamDescriptionSummary?.StreamStatus !== 'ACTIVE') {
        throw new Error(`Kinesis stream ${name} did not become ACTIVE`);
      }
    }
  } finally {
    client.destroy();
  }
}
