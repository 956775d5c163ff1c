// kinesalite ships no types: referencing ours here makes them travel with this module to every
// package whose type check reaches it.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./types/vendor.d.ts" />
import type { AddressInfo } from 'node:net';
import fs from 'node:fs/promises';
import kinesalite from 'kinesalite';
import { assertPortFree } from './net';
import { ensureStreams } from './streams';
import type { TStreamSpec } from './streams';

export type { TStreamSpec } from './streams';

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
