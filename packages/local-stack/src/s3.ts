// s3rver ships no types: referencing ours here makes them travel with this module to every
// package whose type check reaches it.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./types/vendor.d.ts" />
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import { assertPortFree } from './net';

export type TStartS3Options = {
  /** TCP port; 0 picks a free one. */
  port: number;
  host?: string;
  /** Where objects are kept; a fresh temp folder (removed on stop) when absent. */
  dataDir?: string;
  buckets?: string[];
  portHint?: string;
};

export type TS3Server = {
  endpoint: string;
  host: string;
  port: number;
  dataDir: string;
  stop: () => Promise<void>;
};

/** An S3-compatible endpoint (s3rver) inside this process. Credentials: S3RVER / S3RVER. */
export async function startS3(options: TStartS3Options): Promise<TS3Server> {
  const host = options.host ?? '127.0.0.1';
  await assertPortFree({
    service: 'S3 (s3rver)',
    host,
    port: options.port,
    hint: options.portHint,
  });
  const isTemporary = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'tripcast-s3-')));
  await fs.mkdir(dataDir, { recursive: true });
  const server = new S3rver({
    address: host,
    port: options.port,
    silent: true,
    directory: dataDir,
    configureBuckets: (options.buckets ?? []).map((name) => ({ name })),
  });
  const address = await server.run();
  return {
    endpoint: `http://${host}:${address.port}`,
    host,
    port: address.port,
    dataDir,
    stop: async () => {
      await server.close();
      if (isTemporary) await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}
