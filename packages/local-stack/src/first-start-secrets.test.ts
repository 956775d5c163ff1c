// The first admin's password must never reach the logs `npm start` writes. The real
// supervisor (runStart) on a throwaway repo whose jobs and console call the REAL migrations and
// the REAL apps/console/scripts/ensure-first-admin.ts, which once printed it to stdout, which the
// supervisor tees into <TRIPCAST_HOME>/logs/console.log (mode 0644).
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { parseLocalStackEnv } from './env';
import { getFreePort } from './net';
import { runStart } from './start';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
// After the first admin, the console stand-in listens on CONSOLE_PORT so the stack becomes ready.
const SERVICE = `
import net from 'node:net';
net.createServer((socket) => socket.end('ok')).listen(Number(process.env.CONSOLE_PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`;

async function writeWorkspace(root: string, dir: string, scripts: Record<string, string>, files: Record<string, string> = {}) {
  await fs.mkdir(path.join(root, dir), { recursive: true });
  await fs.writeFile(path.join(root, dir, 'package.json'), JSON.stringify({ name: `fake-${path.basename(dir)}`, private: true, scripts }));
  for (const [name, content] of Object.entries(files)) await fs.writeFile(path.join(root, dir, name), content);
}

describe('npm start: first admin', () => {
  let root: string;
  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'tripcast-first-start-'));
    await fs.chmod(root, 0o755);
  });
  afterAll(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it('keeps the password out of <TRIPCAST_HOME>/logs: the log says where it is, a 0600 file holds it', async () => {
    const repoRoot = path.join(root, 'repo');
    const service = path.join(repoRoot, 'apps/console/service.mjs');
    await writeWorkspace(repoRoot, 'packages/db', {
      migrate: `cd ${REPO}/packages/db && node --import tsx src/migrate-cli.ts --engine builtin`,
    });
    await writeWorkspace(
      repoRoot,
      'apps/console',
      { 'start:local': `cd ${REPO}/apps/console && node --import tsx scripts/ensure-first-admin.ts && node ${service}` },
      { 'service.mjs': SERVICE },
    );
    const home = path.join(root, 'home');
    const out = new PassThrough();
    let printed = '';
    out.setEncoding('utf8').on('data', (chunk: string) => (printed += chunk));
    onTestFailed(() => console.error(`supervisor output:\n${printed}`));
    const controller = new AbortController();
    const handle = runStart({
      env: parseLocalStackEnv({
        TRIPCAST_HOME: home,
        TRIPCAST_PG_PORT: String(await getFreePort()),
        TRIPCAST_KINESIS_PORT: String(await getFreePort()),
        CONSOLE_PORT: String(await getFreePort()),
      }),
      repoRoot,
      signal: controller.signal,
      isColor: false,
      out,
      stopGraceMs: 5_000,
    });
    try {
      const deadline = Date.now() + 150_000;
      // The newcomer's summary ends with where the state lives.
      while (!printed.includes(`State        ${home}`)) {
        if (Date.now() > deadline) throw new Error('the stack did not become ready');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      controller.abort();
      await handle.done;
    }

    const file = path.join(home, 'first-admin.txt');
    // The summary printed once the console answers says where the password is, never what it is.
    expect(printed).toContain(`Sign in      as the first admin: email and password are in ${file}`);
    const stored = await fs.readFile(file, 'utf8');
    const password = /password\s+(\S+)/.exec(stored)?.[1] ?? '';
    expect(password).toMatch(/^[A-Za-z0-9_-]{20}$/);
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);

    const log = await fs.readFile(path.join(home, 'logs', 'console.log'), 'utf8');
    expect(log).toContain(`its password is in ${file}`);
    const logs = await fs.readdir(path.join(home, 'logs'));
    for (const name of logs) expect(await fs.readFile(path.join(home, 'logs', name), 'utf8'), name).not.toContain(password);
    expect(printed).not.toContain(password);
  }, 200_000); // Postgres, migrations and a cold tsx start of the real script on a loaded machine
});
