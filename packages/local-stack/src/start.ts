/**
 * `npm start`: the embedded platform on one machine. Servers first (Postgres, Kinesis, the
 * object-store folder; start-servers.ts), then one-shot jobs in order, then long-running services
 * (start-processes.ts); Ctrl-C or SIGTERM stops the services first and the servers last.
 */
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { TLocalStackEnv } from './env';
import { LocalStackError } from './errors';
import { ensureObjectStoreFolder, resolveHomeLayout, writeEnvFile } from './home';
import { acquireLock } from './lock';
import { createLogger } from './log';
import type { TLogger } from './log';
import { assertPortFree, waitForPort } from './net';
import { resolvePlan, START_PLAN } from './plan';
import type { TPlannedProcess } from './plan';
import type { TChildProcess } from './processes';
import { buildChildEnv, buildStackEnv, describeNextSteps, describeStack } from './stack-env';
import { AbortedError, runJobs, startServices } from './start-processes';
import {
  KINESIS_PORT_HINT,
  planStreams,
  startDatabaseServer,
  startStreamServer,
} from './start-servers';
import type { TStopper } from './start-servers';
import { DEFAULT_RESTART_POLICY } from './supervise';
import type { TRestartPolicy } from './supervise';

export { LOCAL_DATABASE_NAME } from './start-servers';

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
    const log = createLogger({ isColor: options.isColor, logDir: layout.logs, out });
    logger = log;
    stoppers.unshift({
      name: 'logs',
      stop: () => logger?.close() ?? Promise.resolve(),
      isQuiet: true,
    });
    const plan = await resolvePlan(repoRoot, options.plan ?? START_PLAN);
    const hasConsole = plan.runnable.some((entry) => entry.name === 'console');
    const hasConsumer = plan.runnable.some((entry) => entry.name === 'consumer');

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

    if (hasConsumer) {
      await assertPortFree({
        service: "The stream consumer's health server",
        host: '127.0.0.1',
        port: env.HEALTH_PORT,
        hint: 'set HEALTH_PORT to another port',
      });
    }

    const servers = { env, layout, logger: log, say, stoppers };
    const databaseUrl = await startDatabaseServer(servers);
    checkAborted();
    const streams = planStreams(env);
    const kinesisEndpoint = await startStreamServer(servers, streams);
    checkAborted();

    // Object store: a folder with the buckets' layout, unless OBJECT_STORE_URI points at S3.
    const objectStoreUri = env.OBJECT_STORE_URI ?? layout.store;
    if (!objectStoreUri.startsWith('s3://'))
      await ensureObjectStoreFolder(path.resolve(objectStoreUri));

    const stackEnv = buildStackEnv({
      env,
      layout,
      repoRoot,
      databaseUrl,
      kinesisEndpoint,
      objectStoreUri,
    });
    await writeEnvFile(
      layout.envFile,
      stackEnv,
      `Written by \`npm start\` at ${new Date().toISOString()}: the local stack's settings.\nUse any Tripcast CLI against it:  source ${layout.envFile}`,
    );
    const childEnv = buildChildEnv(stackEnv, options.isColor);

    const consoleUrl = `http://localhost:${env.CONSOLE_PORT}`;
    const summary = describeStack({
      databaseUrl,
      kinesisEndpoint,
      streams,
      objectStoreUri,
      layout,
      plan,
      consoleUrl,
      hasConsole,
    });
    for (const line of summary) say(line);

    const processes = {
      repoRoot,
      layout,
      logger: log,
      say,
      childEnv,
      children,
      aborted,
      checkAborted,
    };
    await runJobs(
      processes,
      plan.runnable.filter((item) => item.kind === 'job'),
    );
    const services = plan.runnable.filter((item) => item.kind === 'service');
    const firstExit = startServices(processes, services, {
      ...DEFAULT_RESTART_POLICY,
      ...options.restartPolicy,
    });

    if (hasConsole) {
      void waitForPort(env.CONSOLE_PORT, Promise.race([aborted, firstExit]), 180_000).then(
        (isReady) => {
          if (!isReady) return;
          const firstAdminFile = path.join(layout.root, 'first-admin.txt');
          const lines = describeNextSteps({
            consoleUrl,
            layout,
            ...(existsSync(firstAdminFile) ? { firstAdminFile } : {}),
          });
          for (const line of lines) say(line);
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
