/**
 * `npm start`: the embedded platform on one machine. Servers first (Postgres, Kinesis, the
 * object-store folder), then one-shot jobs in order, then long-running services; Ctrl-C or
 * SIGTERM stops the services first and the servers last.
 */
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { ensureDatabase, redactUrl, verifyDatabaseUrl } from './database';
import type { TLocalStackEnv } from './env';
import { LocalStackError } from './errors';
import { ensureObjectStoreFolder, resolveHomeLayout, writeEnvFile } from './home';
import type { THomeLayout } from './home';
import { startKinesis } from './kinesis';
import { createLogger } from './log';
import type { TLogger } from './log';
import { assertPortFree } from './net';
import { resolvePlan, START_PLAN } from './plan';
import type { TPlannedProcess } from './plan';
import { startPostgres } from './postgres';
import { spawnNpmScript } from './processes';
import type { TChildProcess } from './processes';
import { DEFAULT_RESTART_POLICY, superviseService } from './supervise';
import type { TCrashLoop, TRestartPolicy } from './supervise';

export const LOCAL_DATABASE_NAME = 'tripcast';
const KINESIS_PORT_HINT =
  'set TRIPCAST_KINESIS_PORT to another port, or KINESIS_ENDPOINT_URL to use an existing endpoint';

export type TRunStartOptions = {
  env: TLocalStackEnv;
  repoRoot: string;
  /** Aborted on Ctrl-C / SIGTERM: start an orderly shutdown. */
  signal: AbortSignal;
  isColor: boolean;
  out?: NodeJS.WritableStream;
  plan?: readonly TPlannedProcess[];
  /** Grace period for each service to exit after SIGTERM. */
  stopGraceMs?: number;
  /** When a crashed service is restarted, and when a crash loop makes the supervisor give up. */
  restartPolicy?: Partial<TRestartPolicy>;
};

export type TStartHandle = {
  /** Resolves with the process exit code once everything has stopped. */
  done: Promise<number>;
  /** Second Ctrl-C: kill everything now. */
  forceStop: () => void;
};

type TStopper = { name: string; stop: () => Promise<void>; kill?: () => void; isQuiet?: boolean };

/** One supervisor per TRIPCAST_HOME: a second one would fight over the same data and ports. */
async function acquireLock(layout: THomeLayout): Promise<() => Promise<void>> {
  const existing = await fs.readFile(layout.lockFile, 'utf8').catch(() => undefined);
  const pid = Number.parseInt(existing ?? '', 10);
  if (Number.isInteger(pid) && pid > 0 && pid !== process.pid) {
    let isAlive = false;
    try {
      process.kill(pid, 0);
      isAlive = true;
    } catch {
      // dead: a stale lock from an unclean stop
    }
    if (isAlive) {
      throw new LocalStackError(
        `Tripcast is already running from ${layout.root} (pid ${pid}); stop it first, or set TRIPCAST_HOME to another folder.`,
      );
    }
  }
  await fs.writeFile(layout.lockFile, `${process.pid}\n`);
  return () => fs.rm(layout.lockFile, { force: true });
}

/** Postgres logs every checkpoint; the terminal gets start, stop and problems, the log file everything. */
function isNoteworthyPostgresLine(line: string): boolean {
  return /ready to accept connections|database system is shut down|WARNING|ERROR|FATAL|PANIC/.test(
    line,
  );
}

/** Defaults TLC_DATA_DIR to the shared real month next to the repo, when it is there. */
function resolveTlcDataDir(env: TLocalStackEnv, repoRoot: string): string | undefined {
  if (env.TLC_DATA_DIR) return path.resolve(env.TLC_DATA_DIR);
  const candidate = env.TRIPCAST_SHARED_DATA
    ? path.resolve(env.TRIPCAST_SHARED_DATA)
    : path.resolve(repoRoot, '..', 'shared', 'data');
  return existsSync(candidate) ? candidate : undefined;
}

function isRealS3(uri: string, env: TLocalStackEnv): boolean {
  return uri.startsWith('s3://') && !env.S3_ENDPOINT_URL;
}

/**
 * Whether something accepts connections on localhost:port. The probe hangs up politely: it reads
 * and drops whatever the service sends and closes with a FIN. A destroy() right after connecting
 * resets the connection (RST) whenever the service's first bytes have already arrived, which on
 * a loaded machine is common, and a service without a socket error handler then dies of
 * ECONNRESET: the supervisor would have killed the very service it was waiting for.
 */
function probePort(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: 'localhost' });
    socket.once('error', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('connect', () => {
      resolve(true);
      socket.resume();
      socket.end();
      // A service that never hangs up (an idle HTTP keep-alive) must not keep us waiting; by
      // now anything it sent has been read, so this close is a plain FIN as well.
      const timer = setTimeout(() => socket.destroy(), 5_000);
      timer.unref();
      socket.once('close', () => clearTimeout(timer));
    });
  });
}

async function waitForPort(
  port: number,
  until: Promise<unknown>,
  timeoutMs: number,
): Promise<boolean> {
  let isOver = false;
  void until.then(() => (isOver = true));
  const deadline = Date.now() + timeoutMs;
  while (!isOver && Date.now() < deadline) {
    if (await probePort(port)) return true;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return false;
}

export function runStart(options: TRunStartOptions): TStartHandle {
  const { env, repoRoot, signal } = options;
  const out = options.out ?? process.stdout;
  const home = path.resolve(env.TRIPCAST_HOME ?? path.join(repoRoot, '.tripcast'));
  const layout = resolveHomeLayout(home);
  const stoppers: TStopper[] = [];
  const children: TChildProcess[] = [];
  let logger: TLogger | undefined;
  const say = (text: string) => (logger ? logger.line('tripcast', text) : out.write(`${text}\n`));

  const aborted = new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
  const checkAborted = () => {
    if (signal.aborted) throw new AbortedError();
  };

  const shutdown = async () => {
    // Services and jobs first, then servers in reverse start order.
    await Promise.all(
      children.splice(0).map(async (child) => {
        const exit = await child.stop(options.stopGraceMs);
        logger?.line(child.name, `stopped (${exit.signal ?? `exit ${exit.code}`})`);
      }),
    );
    for (const stopper of stoppers.splice(0).reverse()) {
      try {
        await stopper.stop();
        if (!stopper.isQuiet) say(`${stopper.name} stopped`);
      } catch (error) {
        say(`${stopper.name} did not stop cleanly: ${(error as Error).message}`);
      }
    }
  };

  const main = async (): Promise<number> => {
    await fs.mkdir(layout.root, { recursive: true });
    const releaseLock = await acquireLock(layout);
    stoppers.push({ name: 'lock', stop: releaseLock, isQuiet: true });
    logger = createLogger({ isColor: options.isColor, logDir: layout.logs, out });
    stoppers.unshift({
      name: 'logs',
      stop: () => logger?.close() ?? Promise.resolve(),
      isQuiet: true,
    });
    const plan = await resolvePlan(repoRoot, options.plan ?? START_PLAN);
    const hasConsole = plan.runnable.some((entry) => entry.name === 'console');

    // Fail fast, before starting anything, on ports we can check up front.
    if (!env.KINESIS_ENDPOINT_URL) {
      await assertPortFree({
        service: 'Kinesis (kinesalite)',
        host: '127.0.0.1',
        port: env.TRIPCAST_KINESIS_PORT,
        hint: KINESIS_PORT_HINT,
      });
    }
    if (hasConsole) {
      await assertPortFree({
        service: 'The console',
        host: '0.0.0.0',
        port: env.CONSOLE_PORT,
        hint: 'set CONSOLE_PORT to another port',
      });
    }

    // Postgres: the embedded server, or the one DATABASE_URL names.
    let databaseUrl: string;
    if (env.DATABASE_URL) {
      const { serverVersion } = await verifyDatabaseUrl(env.DATABASE_URL);
      databaseUrl = env.DATABASE_URL;
      say(`using the Postgres ${serverVersion} at DATABASE_URL (${redactUrl(databaseUrl)})`);
    } else {
      say(`starting Postgres 17 (data in ${layout.postgres})`);
      const postgres = await startPostgres({
        dataDir: layout.postgres,
        port: env.TRIPCAST_PG_PORT,
        detached: true,
        portHint:
          'set TRIPCAST_PG_PORT to another port, or DATABASE_URL to use an existing Postgres',
        onLog: (line) =>
          isNoteworthyPostgresLine(line)
            ? logger?.line('postgres', line)
            : logger?.fileOnly('postgres', line),
      });
      stoppers.push({
        name: 'Postgres',
        stop: postgres.stop,
        kill: () => process.kill(postgres.pid, 'SIGQUIT'),
      });
      if (postgres.isFresh)
        say(`initialised a new Postgres cluster in ${Math.round(postgres.timings.initMs)} ms`);
      await ensureDatabase(postgres.urlFor('postgres'), LOCAL_DATABASE_NAME);
      databaseUrl = postgres.urlFor(LOCAL_DATABASE_NAME);
    }
    checkAborted();

    // Kinesis: the embedded kinesalite with both streams, or the endpoint KINESIS_ENDPOINT_URL names.
    const streams = [
      { name: env.INPUT_STREAM_NAME, shardCount: env.INPUT_STREAM_SHARDS },
      { name: env.PREDICTIONS_STREAM_NAME, shardCount: env.PREDICTIONS_STREAM_SHARDS },
    ];
    let kinesisEndpoint: string;
    if (env.KINESIS_ENDPOINT_URL) {
      kinesisEndpoint = env.KINESIS_ENDPOINT_URL;
      say(
        `using the Kinesis endpoint at KINESIS_ENDPOINT_URL (${kinesisEndpoint}); streams are not created there`,
      );
    } else {
      const kinesis = await startKinesis({
        port: env.TRIPCAST_KINESIS_PORT,
        dataDir: layout.kinesis,
        streams,
        region: env.AWS_REGION,
        portHint:
          'set TRIPCAST_KINESIS_PORT to another port, or KINESIS_ENDPOINT_URL to use an existing endpoint',
      });
      stoppers.push({ name: 'Kinesis', stop: kinesis.stop });
      kinesisEndpoint = kinesis.endpoint;
    }
    checkAborted();

    // Object store: a folder with the buckets' layout, unless OBJECT_STORE_URI points at S3.
    const objectStoreUri = env.OBJECT_STORE_URI ?? layout.store;
    if (!objectStoreUri.startsWith('s3://'))
      await ensureObjectStoreFolder(path.resolve(objectStoreUri));

    const tlcDataDir = resolveTlcDataDir(env, repoRoot);
    const usesRealAws = isRealS3(objectStoreUri, env);
    const stackEnv: Record<string, string> = {
      TRIPCAST_HOME: layout.root,
      DATABASE_URL: databaseUrl,
      KINESIS_ENDPOINT_URL: kinesisEndpoint,
      OBJECT_STORE_URI: objectStoreUri,
      ...(env.S3_ENDPOINT_URL ? { S3_ENDPOINT_URL: env.S3_ENDPOINT_URL } : {}),
      AWS_REGION: env.AWS_REGION,
      // The local endpoints accept any credentials but the SDK must sign with something. Never
      // shadow real ones (env or profile) when the object store is real S3.
      ...(!env.AWS_ACCESS_KEY_ID && !usesRealAws
        ? { AWS_ACCESS_KEY_ID: 'tripcast-local', AWS_SECRET_ACCESS_KEY: 'tripcast-local' }
        : {}),
      INPUT_STREAM_NAME: env.INPUT_STREAM_NAME,
      PREDICTIONS_STREAM_NAME: env.PREDICTIONS_STREAM_NAME,
      MODEL_NAME: env.MODEL_NAME,
      CONSOLE_PORT: String(env.CONSOLE_PORT),
      ...(tlcDataDir ? { TLC_DATA_DIR: tlcDataDir } : {}),
    };
    await writeEnvFile(
      layout.envFile,
      stackEnv,
      `Written by \`npm start\` at ${new Date().toISOString()}: the local stack's settings.\nUse any Tripcast CLI against it:  source ${layout.envFile}`,
    );
    // Children write to pipes, so they would drop colour; keep it when our own output is a TTY.
    // (Many libraries treat any FORCE_COLOR, even "0", as "on": use NO_COLOR to turn it off.)
    const { FORCE_COLOR: _force, NO_COLOR: _none, ...inherited } = process.env;
    const childEnv: NodeJS.ProcessEnv = {
      ...inherited,
      ...stackEnv,
      ...(options.isColor ? { FORCE_COLOR: '1' } : { NO_COLOR: '1' }),
    };

    const consoleUrl = `http://localhost:${env.CONSOLE_PORT}`;
    const summary = [
      'local stack is up:',
      `  Postgres     ${redactUrl(databaseUrl)}`,
      `  Kinesis      ${kinesisEndpoint}  streams: ${streams.map((stream) => `${stream.name} (${stream.shardCount} shard${stream.shardCount > 1 ? 's' : ''})`).join(', ')}`,
      `  Object store ${objectStoreUri}`,
      `  Logs         ${layout.logs}`,
      `  Env file     source ${layout.envFile}`,
      ...plan.runnable.map(
        (entry) =>
          `  ${entry.kind === 'job' ? 'job    ' : 'service'}      ${entry.name}: ${entry.describe} (npm run ${entry.script} -w ${entry.workspace})`,
      ),
      ...plan.skipped.map(
        (entry) =>
          `  not yet      ${entry.name}: ${entry.workspace} has no "${entry.script}" script`,
      ),
      hasConsole
        ? `  Console      ${consoleUrl}`
        : `  Console      ${consoleUrl} (not started: @tripcast/console has no "start:local" script yet)`,
    ];
    for (const line of summary) say(line);

    // One-shot jobs, in order; the first failure stops the start.
    for (const entry of plan.runnable.filter((item) => item.kind === 'job')) {
      checkAborted();
      say(`running ${entry.name} (npm run ${entry.script} -w ${entry.workspace})`);
      const started = performance.now();
      const job = spawnNpmScript({
        name: entry.name,
        script: entry.script,
        cwd: path.join(repoRoot, entry.dir),
        env: childEnv,
        logger,
      });
      children.push(job);
      const exit = await Promise.race([job.exited, aborted.then(() => undefined)]);
      if (exit === undefined) throw new AbortedError();
      children.splice(children.indexOf(job), 1);
      if (exit.code !== 0) {
        throw new LocalStackError(
          `${entry.name} failed (${exit.signal ?? `exit ${exit.code}`}); see its lines above or ${path.join(layout.logs, `${entry.name}.log`)}`,
        );
      }
      say(`${entry.name} done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }

    // Long-running services: one that dies is restarted with backoff (superviseService); only a
    // crash loop stops the stack, naming the service.
    const services = plan.runnable.filter((item) => item.kind === 'service');
    const crashLoops: Promise<TCrashLoop>[] = [];
    const restartPolicy = { ...DEFAULT_RESTART_POLICY, ...options.restartPolicy };
    for (const entry of services) {
      checkAborted();
      const serviceLogger = logger;
      const service = superviseService({
        name: entry.name,
        spawn: () =>
          spawnNpmScript({
            name: entry.name,
            script: entry.script,
            cwd: path.join(repoRoot, entry.dir),
            env: childEnv,
            logger: serviceLogger,
          }),
        policy: restartPolicy,
        say,
      });
      children.push(service);
      crashLoops.push(service.gaveUp);
      say(`started ${entry.name} (pid ${service.pid})`);
    }
    const firstExit =
      crashLoops.length > 0 ? Promise.race(crashLoops) : new Promise<never>(() => undefined);

    if (hasConsole) {
      void waitForPort(env.CONSOLE_PORT, Promise.race([aborted, firstExit]), 180_000).then(
        (isReady) => {
          if (isReady) say(`Tripcast is ready: open ${consoleUrl}  (Ctrl-C stops everything)`);
        },
      );
    } else {
      say(
        services.length > 0
          ? 'services started (Ctrl-C stops everything)'
          : 'no app services defined yet; the servers stay up until Ctrl-C',
      );
    }

    const outcome = await Promise.race([aborted.then(() => undefined), firstExit]);
    if (outcome) {
      say(
        `✖ ${outcome.name} is crash-looping (${outcome.crashes} crashes within ${Math.round(outcome.windowMs / 1000)} s, last: ${outcome.exit.signal ?? `exit ${outcome.exit.code}`}); see its lines above or ${path.join(layout.logs, `${outcome.name}.log`)}; stopping everything`,
      );
      return 1;
    }
    return 0;
  };

  const done = (async () => {
    let code: number;
    try {
      code = await main();
    } catch (error) {
      if (error instanceof AbortedError) {
        code = 0;
      } else if (error instanceof LocalStackError) {
        say(`✖ ${error.message}`);
        code = 1;
      } else {
        say(`✖ unexpected error: ${(error as Error).stack ?? String(error)}`);
        code = 1;
      }
    }
    if (children.length > 0 || stoppers.some((stopper) => !stopper.isQuiet)) say('stopping…');
    await shutdown();
    return code;
  })();

  const forceStop = () => {
    for (const child of children) child.kill();
    for (const stopper of stoppers) stopper.kill?.();
  };

  return { done, forceStop };
}

class AbortedError extends Error {
  constructor() {
    super('aborted');
  }
}
