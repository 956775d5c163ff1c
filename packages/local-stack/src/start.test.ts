// The supervisor end to end with real processes, on a throwaway repo whose workspaces define
// small scripts: jobs run in order with the stack's env, services are stopped before the servers,
// the env file is usable from a shell, and a restart keeps Postgres and Kinesis state.
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  PutRecordCommand,
} from '@aws-sdk/client-kinesis';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { createLocalKinesisClient, LOCAL_AWS_CREDENTIALS } from './aws';
import { parseLocalStackEnv } from './env';
import { getFreePort } from './net';
import { runStart } from './start';
import type { TRestartPolicy } from './supervise';

const execFileAsync = promisify(execFile);

// A service that reports, when told to stop, whether Postgres still answered: it must, since
// services are stopped before the servers. Its sockets have no 'error' handler on purpose: a
// readiness probe that resets the connection instead of hanging up kills it (read ECONNRESET),
// which is how an impolite probe showed up on a loaded CI machine.
const SERVICE = `
import net from 'node:net';
const server = net.createServer((socket) => socket.end('ok')).listen(Number(process.env.CONSOLE_PORT), '127.0.0.1');
console.log('service up, store', process.env.OBJECT_STORE_URI);
process.on('SIGTERM', () => {
  const url = new URL(process.env.DATABASE_URL);
  const probe = net.connect(Number(url.port), url.hostname);
  probe.once('connect', () => { console.log('on SIGTERM postgres reachable: yes'); probe.destroy(); server.close(); process.exit(0); });
  probe.once('error', () => { console.log('on SIGTERM postgres reachable: no'); process.exit(0); });
});
`;

async function writeWorkspace(
  root: string,
  dir: string,
  scripts: Record<string, string>,
  files: Record<string, string> = {},
) {
  await fs.mkdir(path.join(root, dir), { recursive: true });
  await fs.writeFile(
    path.join(root, dir, 'package.json'),
    JSON.stringify({ name: `fake-${path.basename(dir)}`, private: true, scripts }),
  );
  for (const [name, content] of Object.entries(files))
    await fs.writeFile(path.join(root, dir, name), content);
}

type TRun = {
  lines: string[];
  done: Promise<number>;
  stop: () => void;
  waitFor: (text: string, timeoutMs?: number) => Promise<void>;
};

function startSupervisor(options: { repoRoot: string; env: Record<string, string>; restartPolicy?: Partial<TRestartPolicy> }): TRun {
  const out = new PassThrough();
  const lines: string[] = [];
  let buffer = '';
  out.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    lines.push(...parts);
  });
  // On failure, show what the supervisor said (and the tail of the Postgres log, whose routine
  // lines stay out of the terminal): the assertion alone rarely tells why a run went wrong.
  onTestFailed(async () => {
    const postgresLog = await fs
      .readFile(path.join(options.env.TRIPCAST_HOME ?? '', 'logs', 'postgres.log'), 'utf8')
      .catch(() => '');
    console.error(
      [
        `supervisor lines (${options.env.TRIPCAST_HOME}, ports pg ${options.env.TRIPCAST_PG_PORT} kinesis ${options.env.TRIPCAST_KINESIS_PORT} console ${options.env.CONSOLE_PORT}):`,
        ...lines,
        ...(buffer ? [buffer] : []),
        '--- postgres.log (last 30 lines) ---',
        ...postgresLog.trimEnd().split('\n').slice(-30),
      ].join('\n'),
    );
  });
  const controller = new AbortController();
  const handle = runStart({
    env: parseLocalStackEnv(options.env),
    repoRoot: options.repoRoot,
    signal: controller.signal,
    isColor: false,
    out,
    stopGraceMs: 5_000,
    restartPolicy: options.restartPolicy,
  });
  const waitFor = async (text: string, timeoutMs = 100_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!lines.some((line) => line.includes(text))) {
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for "${text}"; got:\n${lines.join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  return { lines, done: handle.done, stop: () => controller.abort(), waitFor };
}

/** New ports per start: a port freed by one run may be taken by any other process before the next. */
async function withFreshPorts(env: Record<string, string>): Promise<Record<string, string>> {
  return {
    ...env,
    TRIPCAST_PG_PORT: String(await getFreePort()),
    TRIPCAST_KINESIS_PORT: String(await getFreePort()),
    CONSOLE_PORT: String(await getFreePort()),
    HEALTH_PORT: String(await getFreePort()),
  };
}

describe('npm start supervisor', () => {
  let root: string;
  let repoRoot: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'tripcast-start-test-'));
    await fs.chmod(root, 0o755);
    repoRoot = path.join(root, 'repo');
    await writeWorkspace(repoRoot, 'packages/db', {
      migrate: `node -e "console.log('migrating', process.env.DATABASE_URL)"`,
    });
    await writeWorkspace(repoRoot, 'packages/model', {
      bootstrap: `node -e "console.log('bootstrap after migrate, model', process.env.MODEL_NAME)"`,
    });
    await writeWorkspace(
      repoRoot,
      'apps/console',
      { 'start:local': 'node service.mjs' },
      { 'service.mjs': SERVICE },
    );
    // apps/stream-consumer and apps/scorer define no start:local: they must be skipped.
    await writeWorkspace(repoRoot, 'apps/scorer', { test: 'true' });
    env = {
      TRIPCAST_HOME: path.join(root, 'home'),
      TRIPCAST_PG_PORT: String(await getFreePort()),
      TRIPCAST_KINESIS_PORT: String(await getFreePort()),
      CONSOLE_PORT: String(await getFreePort()),
      INPUT_STREAM_SHARDS: '3',
    };
  });
  afterAll(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it('runs servers, then jobs in order, then services; writes a usable env file; stops services before servers', async () => {
    const ports = await withFreshPorts(env);
    const run = startSupervisor({ repoRoot, env: ports });
    await run.waitFor('is ready: open http://localhost:');
    const text = () => run.lines.join('\n');

    // Once the console answers, a newcomer is told how to sign in, what to try and where state lives.
    await run.waitFor(`State        ${env.TRIPCAST_HOME ?? ''}`);
    expect(text()).toContain('Sign in      with the account an admin created for you'); // no first-admin file here
    expect(text()).toContain(`curl -s localhost:${ports.CONSOLE_PORT}/api/v1/predict`);
    expect(text()).toContain(`source ${path.join(env.TRIPCAST_HOME ?? '', 'env')} && npm run produce`);

    // Jobs ran in plan order with the stack's env.
    const migrateLine = run.lines.findIndex(
      (line) => line.startsWith('migrate') && line.includes('migrating postgres://'),
    );
    const bootstrapLine = run.lines.findIndex(
      (line) =>
        line.startsWith('bootstrap') && line.includes('model ride_duration_prediction_model'),
    );
    expect(migrateLine).toBeGreaterThan(-1);
    expect(bootstrapLine).toBeGreaterThan(migrateLine);
    expect(text()).toContain(
      'not yet      consumer: @tripcast/stream-consumer has no "start:local" script',
    );
    expect(text()).toContain(
      `console    | service up, store ${path.join(env.TRIPCAST_HOME ?? '', 'store')}`,
    );

    // The object-store folder has the buckets' layout.
    for (const prefix of ['models', 'trip-data', 'predictions', 'rejects']) {
      expect(existsSync(path.join(env.TRIPCAST_HOME ?? '', 'store', prefix))).toBe(true);
    }

    // The env file works from a shell and points at the running stack.
    const envFile = path.join(env.TRIPCAST_HOME ?? '', 'env');
    expect((await fs.stat(envFile)).mode & 0o777).toBe(0o600);
    const { stdout } = await execFileAsync('bash', [
      '-c',
      `source '${envFile}' && echo "$DATABASE_URL|$KINESIS_ENDPOINT_URL|$INPUT_STREAM_NAME|$AWS_ACCESS_KEY_ID"`,
    ]);
    const [databaseUrl = '', kinesisUrl = '', stream, accessKey] = stdout.trim().split('|');
    expect(stream).toBe('ride_events');
    expect(accessKey).toBe('tripcast-local');
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    expect(
      (await client.query<{ db: string }>('select current_database() as db')).rows[0]?.db,
    ).toBe('tripcast');
    await client.query('create table if not exists survives_restart (v int)');
    await client.query('insert into survives_restart values (7)');
    await client.end();

    // Both streams exist with the configured shards; put one event to read after a restart.
    const kinesis = createLocalKinesisClient({
      region: 'us-east-1',
      credentials: LOCAL_AWS_CREDENTIALS,
      kinesis: { endpoint: kinesisUrl },
    });
    expect(
      (await kinesis.send(new ListShardsCommand({ StreamName: 'ride_events' }))).Shards,
    ).toHaveLength(3);
    expect(
      (await kinesis.send(new ListShardsCommand({ StreamName: 'ride_predictions' }))).Shards,
    ).toHaveLength(1);
    await kinesis.send(
      new PutRecordCommand({
        StreamName: 'ride_predictions',
        PartitionKey: '256',
        Data: Buffer.from('{"ride_id":256}'),
      }),
    );
    kinesis.destroy();

    run.stop();
    expect(await run.done).toBe(0);
    expect(text()).toContain('on SIGTERM postgres reachable: yes');
    const order = ['console    | stopped', 'Kinesis stopped', 'Postgres stopped'].map((needle) =>
      run.lines.findIndex((line) => line.includes(needle)),
    );
    expect(order.every((index) => index > -1)).toBe(true);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(existsSync(path.join(env.TRIPCAST_HOME ?? '', 'supervisor.pid'))).toBe(false);
    expect(existsSync(path.join(env.TRIPCAST_HOME ?? '', 'pg', 'postmaster.pid'))).toBe(false);
  });

  it('keeps Postgres data and Kinesis records across a restart', async () => {
    const restartEnv = await withFreshPorts(env);
    const run = startSupervisor({ repoRoot, env: restartEnv });
    let exitCode: number | undefined;
    try {
      await run.waitFor('is ready: open');
      expect(run.lines.join('\n')).not.toContain('initialised a new Postgres cluster');
      const client = new pg.Client({
        connectionString: `postgres://postgres:postgres@127.0.0.1:${restartEnv.TRIPCAST_PG_PORT}/tripcast`,
      });
      await client.connect();
      expect((await client.query<{ v: number }>('select v from survives_restart')).rows).toEqual([
        { v: 7 },
      ]);
      await client.end();

      const kinesis = createLocalKinesisClient({
        region: 'us-east-1',
        credentials: LOCAL_AWS_CREDENTIALS,
        kinesis: { endpoint: `http://127.0.0.1:${restartEnv.TRIPCAST_KINESIS_PORT}` },
      });
      const { ShardIterator } = await kinesis.send(
        new GetShardIteratorCommand({
          StreamName: 'ride_predictions',
          ShardId: 'shardId-000000000000',
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      );
      const { Records } = await kinesis.send(new GetRecordsCommand({ ShardIterator }));
      expect(Records?.map((record) => Buffer.from(record.Data ?? []).toString())).toEqual([
        '{"ride_id":256}',
      ]);
      kinesis.destroy();
    } finally {
      run.stop();
      exitCode = await run.done;
    }
    expect(exitCode).toBe(0);
  });

  it('refuses to start while another live process holds TRIPCAST_HOME, and ignores a stale lock', async () => {
    const other = spawn('sleep', ['30']);
    const lockFile = path.join(env.TRIPCAST_HOME ?? '', 'supervisor.pid');
    try {
      await fs.writeFile(lockFile, `${other.pid}\n`);
      const refused = startSupervisor({ repoRoot, env: await withFreshPorts(env) });
      expect(await refused.done).toBe(1);
      expect(refused.lines.join('\n')).toContain(
        `✖ Tripcast is already running from ${env.TRIPCAST_HOME} (pid ${other.pid})`,
      );
    } finally {
      other.kill('SIGKILL');
      await new Promise((resolve) => other.once('exit', resolve));
    }
    // Now the pid in the lock file is dead: a leftover of an unclean stop, not a reason to refuse.
    const run = startSupervisor({ repoRoot, env: await withFreshPorts(env) });
    await run.waitFor('is ready: open');
    run.stop();
    expect(await run.done).toBe(0);
  });

  it('stops with exit code 1 and names the job when a job fails', async () => {
    const failingRepo = path.join(root, 'failing-repo');
    await writeWorkspace(failingRepo, 'packages/db', {
      migrate: `node -e "console.error('no such table'); process.exit(3)"`,
    });
    await writeWorkspace(
      failingRepo,
      'apps/console',
      { 'start:local': 'node service.mjs' },
      { 'service.mjs': SERVICE },
    );
    const run = startSupervisor({ repoRoot: failingRepo, env: await withFreshPorts(env) });
    expect(await run.done).toBe(1);
    const text = run.lines.join('\n');
    expect(text).toContain('migrate    | no such table');
    expect(text).toContain('✖ migrate failed (exit 3); see its lines above or');
    expect(text).not.toContain('started console');
    expect(text).toContain('Postgres stopped');
  });
});

describe('npm start supervisor: a crashed service', () => {
  let root: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'tripcast-restart-test-'));
    await fs.chmod(root, 0o755);
    env = { TRIPCAST_HOME: path.join(root, 'home'), INPUT_STREAM_SHARDS: '1' };
  });
  afterAll(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it('kill -9 of the consumer: it is restarted with backoff and said so; the console and the servers stay up', async () => {
    const repoRoot = path.join(root, 'restart-repo');
    await writeWorkspace(repoRoot, 'apps/console', { 'start:local': 'node service.mjs' }, { 'service.mjs': SERVICE });
    // The consumer prints its own pid (npm's child, as `kill -9 <node pid>` hits it) and stays up.
    await writeWorkspace(repoRoot, 'apps/stream-consumer', {
      'start:local': `node -e "console.log('consumer pid', process.pid); setInterval(() => {}, 1000)"`,
    });
    const ports = await withFreshPorts(env);
    const run = startSupervisor({ repoRoot, env: ports, restartPolicy: { initialBackoffMs: 200 } });
    try {
      await run.waitFor('is ready: open');
      await run.waitFor('consumer pid');
      const pidOf = (line: string | undefined) => Number(/consumer pid (\d+)/.exec(line ?? '')?.[1]);
      const firstPid = pidOf(run.lines.find((line) => line.includes('consumer pid')));
      process.kill(firstPid, 'SIGKILL');
      await run.waitFor('restarted consumer (pid', 30_000);
      await expect.poll(() => run.lines.filter((line) => line.includes('consumer pid')).length, { timeout: 30_000 }).toBe(2);
      const text = run.lines.join('\n');
      expect(text).toMatch(/consumer exited unexpectedly \((SIGKILL|exit \d+)\); restarting it in 0\.2 s \(crash 1 of 5 allowed within 60 s\)/);
      expect(text).not.toContain('stopping everything');
      expect(pidOf(run.lines.filter((line) => line.includes('consumer pid')).at(-1))).not.toBe(firstPid);
      // The console and Postgres were never stopped.
      expect(text).not.toContain('console    | stopped');
      const client = new pg.Client({ connectionString: `postgresql://postgres:postgres@127.0.0.1:${ports.TRIPCAST_PG_PORT}/tripcast` });
      await client.connect();
      expect((await client.query<{ ok: number }>('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
      await client.end();
    } finally {
      run.stop();
    }
    expect(await run.done).toBe(0);
    // Stopping does not count as a crash: no restart after the Ctrl-C.
    expect(run.lines.filter((line) => line.includes('restarted consumer')).length).toBe(1);
  });

  it('a crash loop: gives up after N crashes within the window, naming the service, and stops with exit code 1', async () => {
    const repoRoot = path.join(root, 'crash-loop-repo');
    await writeWorkspace(repoRoot, 'apps/console', { 'start:local': 'node service.mjs' }, { 'service.mjs': SERVICE });
    await writeWorkspace(repoRoot, 'apps/stream-consumer', {
      'start:local': `node -e "console.error('cannot read INPUT_STREAM_NAME'); process.exit(2)"`,
    });
    const run = startSupervisor({ repoRoot, env: await withFreshPorts(env), restartPolicy: { maxCrashes: 3, windowMs: 30_000, initialBackoffMs: 100 } });
    expect(await run.done).toBe(1);
    const text = run.lines.join('\n');
    expect(text).toContain('consumer exited unexpectedly (exit 2); restarting it in 0.1 s (crash 1 of 3 allowed within 30 s)');
    expect(text).toContain('consumer exited unexpectedly (exit 2); restarting it in 0.2 s (crash 2 of 3 allowed within 30 s)');
    expect(text).toContain('consumer crashed 3 times within 30 s (last: exit 2): a crash loop; giving up on it');
    expect(text).toMatch(/✖ consumer is crash-looping \(3 crashes within 30 s, last: exit 2\); see its lines above or .*consumer\.log; stopping everything/);
    expect(text).toContain('Postgres stopped');
  });
});

describe('parseLocalStackEnv', () => {
  it('resolves relative folders from where the user ran npm (INIT_CWD), keeping s3:// URIs', () => {
    const env = parseLocalStackEnv({
      INIT_CWD: '/home/ana/tripcast',
      TRIPCAST_HOME: 'state',
      OBJECT_STORE_URI: './objects',
      TLC_DATA_DIR: '../tlc',
    });
    expect(env.TRIPCAST_HOME).toBe('/home/ana/tripcast/state');
    expect(env.OBJECT_STORE_URI).toBe('/home/ana/tripcast/objects');
    expect(env.TLC_DATA_DIR).toBe('/home/ana/tlc');
    expect(parseLocalStackEnv({ OBJECT_STORE_URI: 's3://bucket/prefix' }).OBJECT_STORE_URI).toBe(
      's3://bucket/prefix',
    );
  });

  it('names the variable of a bad value', () => {
    expect(() => parseLocalStackEnv({ TRIPCAST_PG_PORT: 'abc' })).toThrow(
      /^Invalid TRIPCAST_PG_PORT="abc"/,
    );
    expect(() => parseLocalStackEnv({ CONSOLE_PORT: '70000' })).toThrow(
      /^Invalid CONSOLE_PORT="70000"/,
    );
  });
});
