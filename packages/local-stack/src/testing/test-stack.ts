import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LOCAL_AWS_CREDENTIALS } from '../aws';
import { startKinesis } from '../kinesis';
import { startPostgres } from '../postgres';
import { startS3 } from '../s3';
import type { TTestStackInfo } from './types';

export type { TTestStackInfo } from './types';

export type TTestStack = { info: TTestStackInfo; stop: () => Promise<void> };

/**
 * One throwaway Postgres (temp data folder, free port, fsync off), one kinesalite and one
 * s3rver, all on 127.0.0.1. stop() tears everything down and removes the temp folders, and is
 * safe to call twice.
 */
export async function startTestStack(
  options: { onLog?: (line: string) => void } = {},
): Promise<TTestStack> {
  const started = performance.now();
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'tripcast-test-'));
  // The server runs as `postgres` when we are root: it must be able to enter the temp folder.
  await fs.chmod(root, 0o755);
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    const pending = stops.splice(0).reverse();
    const results = await Promise.allSettled(pending.map((stop) => stop()));
    await fs.rm(root, { recursive: true, force: true });
    const failure = results.find((result) => result.status === 'rejected');
    if (failure) throw failure.reason;
  };
  try {
    const [postgres, kinesis, s3] = await Promise.all([
      startPostgres({
        dataDir: path.join(root, 'pg'),
        port: 0,
        durable: false,
        maxConnections: 300,
        onLog: options.onLog,
      }).then((server) => {
        stops.push(server.stop);
        return server;
      }),
      startKinesis({ port: 0 }).then((server) => {
        stops.push(server.stop);
        return server;
      }),
      startS3({ port: 0, dataDir: path.join(root, 's3') }).then((server) => {
        stops.push(server.stop);
        return server;
      }),
    ]);
    const info: TTestStackInfo = {
      postgres: {
        host: postgres.host,
        port: postgres.port,
        user: postgres.user,
        password: postgres.password,
        adminUrl: postgres.urlFor('postgres'),
      },
      aws: {
        region: 'us-east-1',
        credentials: { ...LOCAL_AWS_CREDENTIALS },
        s3: { endpoint: s3.endpoint },
        kinesis: { endpoint: kinesis.endpoint },
      },
      timings: {
        postgresInitMs: Math.round(postgres.timings.initMs),
        postgresStartMs: Math.round(postgres.timings.startMs),
        totalMs: Math.round(performance.now() - started),
      },
    };
    return { info, stop: stopAll };
  } catch (error) {
    await stopAll().catch(() => undefined);
    throw error;
  }
}
