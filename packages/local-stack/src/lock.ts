import fs from 'node:fs/promises';
import { LocalStackError } from './errors';
import type { THomeLayout } from './home';

/** One supervisor per TRIPCAST_HOME: a second one would fight over the same data and ports. */
export async function acquireLock(layout: THomeLayout): Promise<() => Promise<void>> {
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
