// Runs the real consumer CLI (`cli.ts consume`) as a child process, so tests can SIGKILL it
// mid-batch exactly like a crashed container. `node --import tsx` (not the tsx binary) so the
// signal reaches the consumer itself rather than a wrapper process.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { getTestAws } from '@tripcast/local-stack/testing';

const CLI = fileURLToPath(new URL('../cli.ts', import.meta.url));

export type TConsumerProcess = {
  child: ChildProcess;
  logs: string[];
  healthUrl: Promise<string>;
  metrics(): Promise<{ shards: string[]; owner: string; recordsScored: number; deadLetters: number; modelVersion: string | null }>;
  exited: Promise<number | null>;
};

export function spawnConsumer(env: Record<string, string>): TConsumerProcess {
  const aws = getTestAws();
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'consume'], {
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: '',
      KINESIS_ENDPOINT_URL: aws.kinesis.endpoint,
      AWS_REGION: aws.region,
      AWS_ACCESS_KEY_ID: aws.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: aws.credentials.secretAccessKey,
      HEALTH_PORT: '0',
      CONSUMER_LEASE_TTL_MS: '1500',
      CONSUMER_IDLE_POLL_MS: '50',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  let resolveHealth: (url: string) => void = () => {};
  const healthUrl = new Promise<string>((resolve) => (resolveHealth = resolve));
  let buffer = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    const lines = buffer.split('\n');
    buffer = lines.pop()!;
    for (const line of lines) {
      logs.push(line);
      const match = /"health":"(http:\/\/[^"]+)\/health"/.exec(line);
      if (match) resolveHealth(match[1]!);
    }
  });
  child.stderr.on('data', (chunk: Buffer) => logs.push(chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    logs,
    healthUrl,
    exited,
    async metrics() {
      const response = await fetch(`${await healthUrl}/metrics`);
      return (await response.json()) as Awaited<ReturnType<TConsumerProcess['metrics']>>;
    },
  };
}
