/**
 * moto_server (Python moto, on the project's machines) for tests of AWS APIs the local stack does
 * not serve, such as Secrets Manager: a real HTTP API, on a free loopback port, stopped by the test.
 * Where moto_server is not installed, MOTO_SERVER_PATH is undefined and the test says it skips.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { getFreePort } from '../net';

export const MOTO_SERVER_PATH = ['/root/.pyenv/shims/moto_server', '/usr/local/bin/moto_server', '/usr/bin/moto_server'].find((p) =>
  existsSync(p),
);

export type TMotoServer = {
  /** http://127.0.0.1:<port>, for the SDK's `endpoint` or AWS_ENDPOINT_URL_<SERVICE>. */
  endpoint: string;
  /** Credentials and region moto accepts (any), for a client or a child process's env. */
  env: Record<'AWS_REGION' | 'AWS_ACCESS_KEY_ID' | 'AWS_SECRET_ACCESS_KEY', string>;
  stop: () => void;
};

export async function startMotoServer(): Promise<TMotoServer> {
  if (!MOTO_SERVER_PATH) throw new Error('moto_server is not installed');
  const port = await getFreePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(MOTO_SERVER_PATH, ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const stop = () => void child.kill('SIGTERM');
  // A loaded machine may take several seconds to start Python.
  for (let attempt = 0; ; attempt += 1) {
    const isUp = await fetch(`${endpoint}/moto-api/`).then(
      () => true,
      () => false,
    );
    if (isUp) break;
    if (attempt > 150 || child.exitCode !== null) {
      stop();
      throw new Error(`moto_server did not start on ${endpoint}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { endpoint, env: { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' }, stop };
}
