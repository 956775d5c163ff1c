// The CLI as a user runs it (a real process through tsx): known problems end in one line.
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getFreePort } from './net';

const CLI = path.resolve(import.meta.dirname, 'cli.ts');
let home: string;
let blocker: net.Server;
let busyPort: number;

beforeAll(async () => {
  home = await fs.mkdtemp(path.join(os.tmpdir(), 'tripcast-cli-test-'));
  await fs.chmod(home, 0o755);
  blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  busyPort = (blocker.address() as net.AddressInfo).port;
});
afterAll(async () => {
  blocker.close();
  await fs.rm(home, { recursive: true, force: true });
});

async function runCli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  // Only what the CLI needs: no DATABASE_URL or ports leaking in from the developer's shell, and
  // free ports for everything a test does not choose itself: a running `npm start` holds the
  // defaults (Kinesis 4567, the console 3000, the consumer's health server 8081), and `npm test`
  // must pass beside it.
  const baseEnv = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    NO_COLOR: '1',
    TRIPCAST_KINESIS_PORT: String(await getFreePort()),
    CONSOLE_PORT: String(await getFreePort()),
    HEALTH_PORT: String(await getFreePort()),
  };
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    env: { ...baseEnv, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, output };
}

/** The lines that report an error: exactly one, and no stack frames anywhere. */
function expectOneErrorLine(output: string): string {
  const errors = output.split('\n').filter((line) => line.includes('✖'));
  expect(errors).toHaveLength(1);
  expect(output).not.toMatch(/^\s+at /m);
  return errors[0] ?? '';
}

describe('tripcast local-stack CLI', () => {
  it('prints usage with --help', async () => {
    const { code, output } = await runCli(['--help'], {});
    expect(code).toBe(0);
    expect(output).toContain('Usage: npm start');
    expect(output).toContain('TRIPCAST_PG_PORT');
  });

  it('reports a Postgres port in use in one line and exits 1', async () => {
    const { code, output } = await runCli(['start'], {
      TRIPCAST_HOME: path.join(home, 'pg-busy'),
      TRIPCAST_PG_PORT: String(busyPort),
      CONSOLE_PORT: String(await getFreePort()),
    });
    expect(code).toBe(1);
    expect(expectOneErrorLine(output)).toContain(
      `Postgres cannot start: port ${busyPort} on 127.0.0.1 is already in use (set TRIPCAST_PG_PORT`,
    );
  });

  it('reports a Kinesis port in use in one line, before starting Postgres', async () => {
    const { code, output } = await runCli(['start'], {
      TRIPCAST_HOME: path.join(home, 'kinesis-busy'),
      TRIPCAST_PG_PORT: String(await getFreePort()),
      TRIPCAST_KINESIS_PORT: String(busyPort),
      CONSOLE_PORT: String(await getFreePort()),
    });
    expect(code).toBe(1);
    expect(expectOneErrorLine(output)).toContain(
      `Kinesis (kinesalite) cannot start: port ${busyPort} on 127.0.0.1 is already in use (set TRIPCAST_KINESIS_PORT`,
    );
    expect(output).not.toContain('starting Postgres');
  });

  it("reports the stream consumer's health port in use in one line, before starting Postgres", async () => {
    const { code, output } = await runCli(['start'], {
      TRIPCAST_HOME: path.join(home, 'health-busy'),
      TRIPCAST_PG_PORT: String(await getFreePort()),
      TRIPCAST_KINESIS_PORT: String(await getFreePort()),
      CONSOLE_PORT: String(await getFreePort()),
      HEALTH_PORT: String(busyPort),
    });
    expect(code).toBe(1);
    expect(expectOneErrorLine(output)).toContain(
      `The stream consumer's health server cannot start: port ${busyPort} on 127.0.0.1 is already in use (set HEALTH_PORT`,
    );
    expect(output).not.toContain('starting Postgres');
  });

  it('reports an unreachable DATABASE_URL in one line, without its password', async () => {
    const closedPort = await getFreePort();
    const { code, output } = await runCli(['start'], {
      TRIPCAST_HOME: path.join(home, 'bad-url'),
      DATABASE_URL: `postgres://tripcast:s3cret@127.0.0.1:${closedPort}/tripcast`,
      CONSOLE_PORT: String(await getFreePort()),
    });
    expect(code).toBe(1);
    const line = expectOneErrorLine(output);
    expect(line).toContain(
      `Cannot use DATABASE_URL=postgres://tripcast:***@127.0.0.1:${closedPort}/tripcast: connection refused`,
    );
    expect(output).not.toContain('s3cret');
  });

  it('rejects a DATABASE_URL that is not a Postgres URL, naming the variable', async () => {
    const { code, output } = await runCli(['start'], {
      TRIPCAST_HOME: path.join(home, 'bad-scheme'),
      DATABASE_URL: 'mysql://root@localhost/db',
    });
    expect(code).toBe(1);
    expect(expectOneErrorLine(output)).toContain(
      'Invalid DATABASE_URL="mysql://root@localhost/db": must look like postgres://',
    );
  });
});
