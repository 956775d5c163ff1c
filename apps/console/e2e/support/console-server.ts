// Builds the console when its sources changed since the last build, and starts server.ts (the
// production entrypoint: REST API + Next) on a free port.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';

export { buildConsoleIfStale, CONSOLE_DIR } from '../../scripts/ensure-build';
import { CONSOLE_DIR } from '../../scripts/ensure-build';

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
