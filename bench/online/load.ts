/** Load generators for the online benchmark: autocannon (Node servers) and wrk (gunicorn). */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export type TLoadResult = {
  tool: 'autocannon' | 'wrk';
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  errors: number;
  non2xx: number;
};

export type TLoadOptions = {
  url: string;
  body: string;
  connections: number;
  durationSec: number;
  /** Extra request headers, e.g. `{ authorization: 'Bearer tc_...' }` for our API. */
  headers?: Record<string, string>;
  /** Requests per second across all connections (autocannon -R); absent = as fast as it answers. */
  overallRate?: number;
};

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`${command} exited with ${code}: ${stderr.slice(-2000)}`)),
    );
  });
}

/** autocannon in its own process (its CLI), so the load generator does not share the server's event loop. */
export async function runAutocannon(options: TLoadOptions): Promise<TLoadResult> {
  const require = createRequire(import.meta.url);
  const cli = path.join(path.dirname(require.resolve('autocannon/package.json')), 'autocannon.js');
  const stdout = await run(process.execPath, [
    cli,
    '--json',
    '-c',
    String(options.connections),
    '-d',
    String(options.durationSec),
    ...(options.overallRate ? ['-R', String(Math.round(options.overallRate))] : []),
    '-m',
    'POST',
    '-H',
    'content-type=application/json',
    ...Object.entries(options.headers ?? {}).flatMap(([name, value]) => ['-H', `${name}=${value}`]),
    '-b',
    options.body,
    options.url,
  ]);
  const result = JSON.parse(stdout) as {
    requests: { average: number; total: number };
    latency: { p50: number; p99: number };
    errors: number;
    non2xx: number;
    '2xx': number;
    duration: number;
  };
  return {
    tool: 'autocannon',
    // requests.average is per-second over the run's samples; 2xx/duration is the same for a clean run.
    requestsPerSec: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    errors: result.errors,
    non2xx: result.non2xx,
  };
}

const WRK_SCRIPT = `
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = os.getenv("WRK_BODY")
local authorization = os.getenv("WRK_AUTHORIZATION")
if authorization and authorization ~= "" then wrk.headers["Authorization"] = authorization end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %f %f %f %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), e.connect + e.read + e.write + e.timeout, e.status))
end
`;

/** wrk (apt): right for gunicorn's sync workers, which close every connection (autocannon then counts errors). */
export async function runWrk(options: TLoadOptions): Promise<TLoadResult> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tripcast-wrk-'));
  try {
    const script = path.join(dir, 'post.lua');
    await writeFile(script, WRK_SCRIPT);
    const stdout = await run(
      'wrk',
      ['-t', '2', '-c', String(options.connections), '-d', `${options.durationSec}s`, '-s', script, options.url],
      { ...process.env, WRK_BODY: options.body, WRK_AUTHORIZATION: options.headers?.authorization ?? '' },
    );
    const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
    if (!line) throw new Error(`wrk printed no result:\n${stdout}`);
    const [requests, durationUs, p50Us, p99Us, errors, non2xx] = line.split(' ').slice(1).map(Number);
    return {
      tool: 'wrk',
      requestsPerSec: requests! / (durationUs! / 1e6),
      p50Ms: p50Us! / 1000,
      p99Ms: p99Us! / 1000,
      requests: requests!,
      errors: errors!,
      non2xx: non2xx!,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function hasCommand(command: string): Promise<boolean> {
  try {
    await run('sh', ['-c', `command -v ${command}`]);
    return true;
  } catch {
    return false;
  }
}

export function getFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Polls until `url` answers `expectStatus` (a POST with `body` when given). */
export async function waitForHttp(
  url: string,
  options: { body?: string; timeoutMs?: number; expectStatus?: number; headers?: Record<string, string> } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let lastError = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(
        url,
        options.body ? { method: 'POST', headers: { 'content-type': 'application/json', ...options.headers }, body: options.body } : {},
      );
      await res.arrayBuffer();
      if (res.status === (options.expectStatus ?? 200)) return;
      lastError = `status ${res.status}`;
    } catch (error) {
      lastError = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url} did not come up: ${lastError}`);
}
