// Builds the console when its sources changed since the last build, and starts server.ts (the
// production entrypoint: REST API + Next) on a free port.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CONSOLE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const BUILD_INPUTS = [
  'src',
  'next.config.ts',
  'postcss.config.mjs',
  'package.json',
  '../../packages/model/src',
  '../../packages/db/src',
];

function newestMtime(p: string): number {
  const stat = fs.statSync(p, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = 0;
  for (const entry of fs.readdirSync(p, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.endsWith('.test.ts')) continue;
    newest = Math.max(newest, newestMtime(path.join(p, entry.name)));
  }
  return newest;
}

/** `next build` unless .next is newer than every source (a build costs minutes on 2 cores). */
export function buildConsoleIfStale(log: (line: string) => void): void {
  const buildId = path.join(CONSOLE_DIR, '.next', 'BUILD_ID');
  const builtAt = fs.statSync(buildId, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  const sourcesAt = Math.max(...BUILD_INPUTS.map((p) => newestMtime(path.join(CONSOLE_DIR, p))));
  if (builtAt > sourcesAt) {
    log('console build is up to date');
    return;
  }
  log(builtAt ? 'sources changed since the last build: next build' : 'no build yet: next build');
  const started = Date.now();
  const result = spawnSync('npx', ['next', 'build'], {
    cwd: CONSOLE_DIR,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', NODE_ENV: 'production' },
  });
  if (result.status !== 0)
    throw new Error(`next build failed (exit ${result.status ?? result.signal})`);
  log(`next build took ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

export async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export type TRunningConsole = { url: string; logs: string[]; stop(): Promise<void> };

export async function startConsole(env: Record<string, string>): Promise<TRunningConsole> {
  const port = await findFreePort();
  const logs: string[] = [];
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'server.ts'], {
    cwd: CONSOLE_DIR,
    env: {
      ...process.env,
      ...env,
      NODE_ENV: 'production',
      CONSOLE_HOST: '127.0.0.1',
      CONSOLE_PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const collect = (chunk: Buffer) => logs.push(...chunk.toString().split('\n').filter(Boolean));
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`console exited with ${child.exitCode}:\n${logs.join('\n')}`);
    try {
      const res = await fetch(`${url}/`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline)
      throw new Error(`console did not answer within 60 s:\n${logs.join('\n')}`);
    await new Promise((r) => setTimeout(r, 300));
  }
  return {
    url,
    logs,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
