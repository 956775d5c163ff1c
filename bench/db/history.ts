// Prediction-history write speed: insertHistoryBatch (one unnest INSERT ... ON CONFLICT DO
// NOTHING per batch, all six indexes maintained) for the batch sizes the online API and the
// stream consumer flush, plus the cost of a fully replayed batch (every row a duplicate).
//   npx tsx bench/db/history.ts [--rows 200000]
// Uses DATABASE_URL when set (a scratch database is created and dropped there), else a
// throwaway embedded Postgres 17 (fsync off, like the test harness).
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createPgPool } from '@tripcast/db/client';
import { applyMigrations } from '@tripcast/db/migrate';
import { insertHistoryBatch } from '@tripcast/db/queries/history';
import type { THistoryInput } from '@tripcast/db/queries/history';
import { startPostgres } from '@tripcast/local-stack';
import pg from 'pg';

const { values } = parseArgs({
  options: { rows: { type: 'string', default: '200000' }, help: { type: 'boolean', short: 'h' } },
});
if (values.help) {
  console.log(
    'Usage: npx tsx bench/db/history.ts [--rows N]\nPrints rows/s of insertHistoryBatch per batch size, and of a replayed (all-duplicate) batch.',
  );
  process.exit(0);
}
const totalRows = Number(values.rows);
const format = (n: number) => Math.round(n).toLocaleString('en-US');

function makeRows(count: number, offset: number): THistoryInput[] {
  return Array.from({ length: count }, (_, i) => ({
    source: 'stream',
    idempotencyKey: `shardId-000000000000/${offset + i}`,
    rideId: String(offset + i),
    puLocationId: 1 + ((offset + i) % 265),
    doLocationId: 1 + (((offset + i) * 7) % 265),
    tripDistance: 3.66,
    predictedDuration: 21.3,
    modelName: 'ride_duration_prediction_model',
    modelVersion: '1',
    latencyMs: 0.4,
  }));
}

async function main(): Promise<void> {
  console.log(
    `machine: ${availableParallelism()} cores, load average ${loadavg()[0]?.toFixed(1)} (1 min)`,
  );
  let adminUrl = process.env.DATABASE_URL;
  let stop = async () => {};
  if (!adminUrl) {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'tripcast-bench-pg-'));
    const server = await startPostgres({ dataDir, port: 0, durable: false });
    adminUrl = server.urlFor('postgres');
    stop = async () => {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    };
  }
  const name = `tripcast_bench_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const pool = createPgPool(url.toString(), { max: 1 });
  try {
    await applyMigrations({ databaseUrl: url.toString() });
    let offset = 0;
    for (const batchSize of [1, 50, 500, 5_000]) {
      const rows = batchSize === 1 ? Math.min(totalRows, 5_000) : totalRows;
      const batches = Array.from({ length: Math.ceil(rows / batchSize) }, (_, b) =>
        makeRows(Math.min(batchSize, rows - b * batchSize), offset + b * batchSize),
      );
      const started = performance.now();
      for (const batch of batches) await insertHistoryBatch(pool, batch);
      const seconds = (performance.now() - started) / 1000;
      console.log(
        `batch ${String(batchSize).padStart(5)}: ${format(rows / seconds)} rows/s (${format(rows)} rows in ${seconds.toFixed(2)} s)`,
      );
      if (batchSize === 500) {
        const replayStarted = performance.now();
        let duplicates = 0;
        for (const batch of batches)
          duplicates += (await insertHistoryBatch(pool, batch)).duplicates;
        const replaySeconds = (performance.now() - replayStarted) / 1000;
        console.log(
          `replay of the batch-500 rows (all duplicates, ${format(duplicates)} skipped): ${format(rows / replaySeconds)} rows/s`,
        );
      }
      offset += rows;
    }
  } finally {
    await pool.end();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
    await stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
