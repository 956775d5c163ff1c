// The first admin's password into a file only its owner can read (local `npm start`). The
// supervisor tees every line a service prints into <TRIPCAST_HOME>/logs/<name>.log, so a printed
// password would end up in a world-readable log: logs hold where it is, never the secret.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { TFirstAdminCredentials, TPasswordSink } from './first-admin';

/** The file's name inside TRIPCAST_HOME. */
export const FIRST_ADMIN_FILE = 'first-admin.txt';

/**
 * Writes the credentials to `file` with mode 0600 (a stale file from an earlier database is
 * replaced, never appended to or left readable). When the process has a controlling terminal
 * (`npm start` in a shell) they are also shown there directly through /dev/tty, which bypasses the
 * supervisor's pipes and so its log files.
 */
export function createFilePasswordSink(options: { file: string; tty?: string | null }): TPasswordSink {
  return {
    async store({ email, password, signInUrl }: TFirstAdminCredentials) {
      const text = [
        `Tripcast console: the first admin, created ${new Date().toISOString()}.`,
        `sign in at  ${signInUrl}`,
        `email       ${email}`,
        `password    ${password}`,
        'Keep the password somewhere safe, then delete this file.',
        '',
      ].join('\n');
      await fs.mkdir(path.dirname(options.file), { recursive: true });
      await fs.rm(options.file, { force: true });
      // 'wx': created by this call with mode 0600, or it fails (never a file someone else made).
      await fs.writeFile(options.file, text, { mode: 0o600, flag: 'wx' });
      const tty = options.tty === undefined ? '/dev/tty' : options.tty;
      if (tty) await showOnTerminal(tty, text);
    },
    describe: () => `${options.file} (mode 0600, readable only by you)`,
  };
}

async function showOnTerminal(tty: string, text: string): Promise<void> {
  try {
    const handle = await fs.open(tty, 'w');
    try {
      await handle.write(`\n${text.split('\n').map((line) => (line ? `  ${line}` : line)).join('\n')}\n`);
    } finally {
      await handle.close();
    }
  } catch {
    // No controlling terminal (a service manager, CI): the file is the one place it is.
  }
}
