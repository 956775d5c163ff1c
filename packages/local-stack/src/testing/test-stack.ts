import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LOCAL_AWS_CREDENTIALS } from '../aws';
import { startKinesis } from '../kinesis';
import { startPostgres, stopLeftoverPostgres } from '../postgres';
import { isAlive } from '../postgres-cluster';
import { startS3 } from '../s3';
import type { TTestStackInfo } from './types';

export type { TTestStackInfo } from './types';

export type TTestStack = { info: TTestStackInfo; stop: () => Promise<void> };

const TEMP_PREFIX = 'tripcast-test-';
const OWNER_FILE = 'owner.pid';

/**
 * A test run killed with SIGKILL cannot stop its Postgres, which then runs on forever from a
 * temp folder. Every run therefore cleans up after dead ones: stacks whose owner process is
 * gone have their server stopped and their folder removed.
 */
export async function sweepAbandonedTestStacks(tmp = os.tmpdir()): Promise<number> {
  const names = (await fs.readdir(tmp).catch(() => [])).filter((name) =>
    name.startsWith(TEMP_PREFIX),
  );
  const swept = await Promise.all(
    names.map(async (name) => {
      const dir = path.join(tmp, name);
      const owner = Number.parseInt(
        await fs.readFile(path.join(dir, OWNER_FILE), 'utf8').catch(() => ''),
        10,
      );
      if (!Number.isInteger(owner) || owner <= 0 || isAlive(owner)) return false;
      await stopLeftoverPostgres(path.join(dir, 'pg'));
      await fs.rm(dir, { recursive: true, force: true });
      return true;
    }),
  );
  return swept.filter(Boolean).length;
}

/**
 * One throwaway Postgres (temp data folder, free port, fsync off), one kinesalite and one
 * s3rver, all on 127.0.0.1. stop() tears everything down and removes the temp folders, and is
 * safe to call twice.
 */
export async function startTestStack(
  options: { onLog?: (line: string) => void } = {},
): Promise<TTestStack> {
  const started = performance.now();
  const root = await fs.mkdtemp(path.join(os.tmpdir(), TEMP_PREFIX));
  await fs.writeFile(path.join(root, OWNER_FILE), `${process.pid}\n`);
  const sweeping = sweepAbandonedTestStacks().catch(() => 0);
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
    await sweeping;
    return { info, stop: stopAll };
  } catch (error) {
    await stopAll().catch(() => undefined);
    throw error;
  }
}
