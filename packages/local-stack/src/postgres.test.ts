import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PortInUseError } from './net';
import { startPostgres } from './postgres';

let root: string;
beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'tripcast-pg-test-'));
  await fs.chmod(root, 0o755); // the server runs as `postgres` when we are root
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('startPostgres', () => {
  it('initialises once, and a restart keeps the data', async () => {
    const dataDir = path.join(root, 'keep');
    const first = await startPostgres({ dataDir, port: 0, durable: false });
    expect(first.isFresh).toBe(true);
    await query(first.urlFor(), 'create table kept (v text); insert into kept values ($$hello$$)');
    await first.stop();
    expect(existsSync(path.join(dataDir, 'postmaster.pid'))).toBe(false);

    const second = await startPostgres({ dataDir, port: 0, durable: false });
    try {
      expect(second.isFresh).toBe(false);
      expect(await query<{ v: string }>(second.urlFor(), 'select v from kept')).toEqual([
        { v: 'hello' },
      ]);
    } finally {
      await second.stop();
    }
  });

  it('recovers from a supervisor killed with SIGKILL (an orphaned server still running)', async () => {
    const dataDir = path.join(root, 'orphan');
    const holder = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        path.resolve(import.meta.dirname, '../test/fixtures/run-postgres.ts'),
        dataDir,
        '0',
      ],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const { pid: orphanPid } = await new Promise<{ pid: number }>((resolve, reject) => {
      holder.stdout
        .setEncoding('utf8')
        .once('data', (line: string) => resolve(JSON.parse(line) as { pid: number }));
      holder.once('exit', (code) => reject(new Error(`fixture exited ${code}`)));
    });
    holder.kill('SIGKILL');
    await new Promise((resolve) => holder.once('exit', resolve));
    expect(isAlive(orphanPid)).toBe(true); // the server outlived its supervisor

    const logs: string[] = [];
    const server = await startPostgres({
      dataDir,
      port: 0,
      durable: false,
      onLog: (line) => logs.push(line),
    });
    try {
      expect(isAlive(orphanPid)).toBe(false);
      expect(logs.join('\n')).toContain(`left running by a previous session (pid ${orphanPid})`);
      expect(await query<{ one: number }>(server.urlFor(), 'select 1 as one')).toEqual([
        { one: 1 },
      ]);
    } finally {
      await server.stop();
    }
  });

  it('recovers from a server killed with SIGKILL (stale postmaster.pid), keeping committed data', async () => {
    const dataDir = path.join(root, 'crash');
    const first = await startPostgres({ dataDir, port: 0 });
    await query(
      first.urlFor(),
      'create table t (n int); insert into t select generate_series(1, 1000)',
    );
    process.kill(first.pid, 'SIGKILL');
    await waitUntil(() => !isAlive(first.pid));
    expect(existsSync(path.join(dataDir, 'postmaster.pid'))).toBe(true);

    // At once, while the dead postmaster's children may still run on the folder: the start waits
    // for them (a loaded machine once kept them alive past a fixed pause).
    const second = await startPostgres({ dataDir, port: 0 });
    try {
      expect(await query<{ n: string }>(second.urlFor(), 'select count(*) as n from t')).toEqual([
        { n: '1000' },
      ]);
    } finally {
      await second.stop();
    }
  });

  it('waits for the children of a killed server before starting a new one on its folder', async () => {
    const dataDir = path.join(root, 'children');
    const first = await startPostgres({ dataDir, port: 0, durable: false });
    const children = (await fs.readFile(`/proc/${first.pid}/task/${first.pid}/children`, 'utf8'))
      .trim()
      .split(/\s+/)
      .map(Number);
    // A stopped child cannot notice its parent's death: it holds the old server's shared memory.
    const straggler = children[0] ?? 0;
    expect(straggler).toBeGreaterThan(0); // never signal pid 0: that is our own process group
    process.kill(straggler, 'SIGSTOP');
    process.kill(first.pid, 'SIGKILL');
    await waitUntil(() => !isAlive(first.pid));

    const logs: string[] = [];
    const starting = startPostgres({
      dataDir,
      port: 0,
      durable: false,
      onLog: (line) => logs.push(line),
    });
    await waitUntil(() => logs.some((line) => line.includes('waiting for')));
    expect(isAlive(straggler)).toBe(true);
    process.kill(straggler, 'SIGCONT');
    const second = await starting;
    try {
      expect(logs.join('\n')).toMatch(
        /waiting for \d+ process\(es\) of the stopped server \(pid \d+\) to exit/,
      );
      expect(await query<{ one: number }>(second.urlFor(), 'select 1 as one')).toEqual([
        { one: 1 },
      ]);
    } finally {
      await second.stop();
    }
  });

  it('removes a postmaster.pid whose pid now belongs to another program', async () => {
    const dataDir = path.join(root, 'reused');
    const first = await startPostgres({ dataDir, port: 0, durable: false });
    await first.stop();
    // Our own pid is alive but is no postgres: exactly the "pid reused after reboot" case.
    await fs.writeFile(path.join(dataDir, 'postmaster.pid'), `${process.pid}\n${dataDir}\n`);
    const logs: string[] = [];
    const second = await startPostgres({
      dataDir,
      port: 0,
      durable: false,
      onLog: (line) => logs.push(line),
    });
    await second.stop();
    expect(logs.join('\n')).toContain('removing a stale postmaster.pid');
  });

  it('discards an interrupted initdb and sets aside a folder that is no cluster', async () => {
    const dataDir = path.join(root, 'half');
    await fs.mkdir(`${dataDir}.initdb-tmp/base`, { recursive: true });
    await fs.writeFile(`${dataDir}.initdb-tmp/base/junk`, 'x');
    await fs.mkdir(dataDir, { recursive: true });
    await fs.writeFile(path.join(dataDir, 'postgresql.conf'), '# half written');
    const server = await startPostgres({ dataDir, port: 0, durable: false });
    try {
      expect(server.isFresh).toBe(true);
      expect(existsSync(`${dataDir}.initdb-tmp`)).toBe(false);
      const siblings = await fs.readdir(root);
      expect(siblings.some((name) => name.startsWith('half.broken-'))).toBe(true);
    } finally {
      await server.stop();
    }
  });

  it('names the port when it is in use, before starting anything', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      const attempt = startPostgres({
        dataDir: path.join(root, 'busy'),
        port,
        portHint: 'set TRIPCAST_PG_PORT',
      });
      await expect(attempt).rejects.toBeInstanceOf(PortInUseError);
      await expect(attempt).rejects.toThrow(
        `Postgres cannot start: port ${port} on 127.0.0.1 is already in use (set TRIPCAST_PG_PORT).`,
      );
      expect(existsSync(path.join(root, 'busy'))).toBe(false); // nothing initialised
    } finally {
      blocker.close();
    }
  });

  // Only as root does the server run as another user (`postgres`).
  it.runIf(process.getuid?.() === 0)(
    'keeps the data under /var/tmp, linked from the data folder, when the postgres user cannot reach it (a mode-700 clone)',
    async () => {
      const locked = path.join(root, 'locked');
      await fs.mkdir(locked, { mode: 0o700 });
      await fs.chmod(locked, 0o700);
      const dataDir = path.join(locked, 'pg');
      const first = await startPostgres({ dataDir, port: 0 });
      let relocated: string;
      try {
        relocated = first.dataDir;
        expect(relocated).toMatch(/^\/var\/tmp\/tripcast-pg-[0-9a-f]{12}$/);
        expect(await fs.readlink(dataDir)).toBe(relocated);
        expect(first.isFresh).toBe(true);
      } finally {
        await first.stop();
      }
      // Kept across starts; a removed link (a reset of the home) starts a new cluster.
      const second = await startPostgres({ dataDir, port: 0 });
      await second.stop();
      expect([second.dataDir, second.isFresh]).toEqual([relocated, false]);
      await fs.rm(dataDir);
      const third = await startPostgres({ dataDir, port: 0 });
      await third.stop();
      expect(third.isFresh).toBe(true);
      await fs.rm(relocated, { recursive: true, force: true });
    },
  );
});
