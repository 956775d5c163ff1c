import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  ResourceInUseException,
  waitUntilStreamExists,
} from '@aws-sdk/client-kinesis';
import type { AddressInfo } from 'node:net';
import fs from 'node:fs/promises';
import kinesalite from 'kinesalite';
import { createLocalKinesisClient, LOCAL_AWS_CREDENTIALS } from './aws';
import { assertPortFree } from './net';

export type TStreamSpec = { name: string; shardCount: number };

export type TStartKinesisOptions = {
  /** TCP port; 0 picks a free one. */
  port: number;
  host?: string;
  /** LevelDB folder that keeps streams and records across restarts; in memory when absent. */
  dataDir?: string;
  /** Streams to create (if missing) and wait for until ACTIVE. */
  streams?: TStreamSpec[];
  region?: string;
  portHint?: string;
};

export type TKinesisServer = {
  endpoint: string;
  host: string;
  port: number;
  stop: () => Promise<void>;
};

/**
 * A Kinesis-compatible endpoint (kinesalite) inside this process, bound to one interface (its
 * CLI binds all of them). Stream state changes are instant instead of AWS's ~500 ms.
 */
export async function startKinesis(options: TStartKinesisOptions): Promise<TKinesisServer> {
  const host = options.host ?? '127.0.0.1';
  await assertPortFree({
    service: 'Kinesis (kinesalite)',
    host,
    port: options.port,
    hint: options.portHint,
  });
  if (options.dataDir) await fs.mkdir(options.dataDir, { recursive: true });
  const server = kinesalite({
    path: options.dataDir,
    createStreamMs: 0,
    deleteStreamMs: 0,
    updateStreamMs: 0,
    shardLimit: 100,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const endpoint = `http://${host}:${port}`;
  const stop = () =>
    new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close((error) => (error ? reject(error) : resolve()));
    });
  try {
    if (options.streams?.length) {
      await ensureStreams({
        endpoint,
        region: options.region ?? 'us-east-1',
        streams: options.streams,
      });
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, host, port, stop };
}

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
