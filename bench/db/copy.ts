// Batch-prediction write speed: the COPY writer (@tripcast/db/batch-predictions) vs Prisma
// createMany for the same rows.
//   npx tsx bench/db/copy.ts [--rows 1000000] [--create-many-rows 50000]
// Uses DATABASE_URL when set (a scratch database is created and dropped on that server),
// else starts a throwaway embedded Postgres 17 (fsync off, like the test harness).
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { replaceRunPredictions } from '@tripcast/db/batch-predictions';
import type { TBatchPredictionChunk } from '@tripcast/db/batch-predictions';
import { createDbClient, createPgPool } from '@tripcast/db/client';
import { applyMigrations } from '@tripcast/db/migrate';
import { startPostgres } from '@tripcast/local-stack';
import pg from 'pg';
import { currentLoad, reportFigure } from '../report';

const TARGET_ROWS_PER_SECOND = 300_000;
const CHUNK_ROWS = 65_536;
const CREATE_MANY_BATCH = Number(process.env.CREATE_MANY_BATCH ?? 1_000);

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    'create-many-rows': { type: 'string', default: '10000' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(
    'Usage: npx tsx bench/db/copy.ts [--rows N] [--create-many-rows N]\nPrints rows/s of the COPY writer and of Prisma createMany (measured on fewer rows, extrapolated).',
  );
  process.exit(0);
}
const totalRows = Number(values.rows);
const createManyRows = Math.min(Number(values['create-many-rows']), totalRows);

/** A synthetic month in chunks, shaped like the scorer's output (green 2021-01 ride ids). */
function* generateChunks(rows: number, chunkRows = CHUNK_ROWS): Generator<TBatchPredictionChunk> {
  const monthStart = Date.UTC(2021, 0, 1);
  for (let start = 0; start < rows; start += chunkRows) {
    const length = Math.min(chunkRows, rows - start);
    const chunk: TBatchPredictionChunk = {
      rowIndex: new Int32Array(length),
      rideId: new Array<string>(length),
      pickupMs: new Float64Array(length),
      pu: new Int16Array(length),
      do: new Int16Array(length),
      actual: new Float32Array(length),
      predicted: new Float32Array(length),
    };
    for (let i = 0; i < length; i++) {
      const row = start + i;
      chunk.rowIndex[i] = row;
      (chunk.rideId as string[])[i] = `2021/01_${row}`;
      chunk.pickupMs[i] = monthStart + ((row * 2_677_373) % 2_678_400_000);
      chunk.pu[i] = 1 + ((row * 7) % 265);
      chunk.do[i] = 1 + ((row * 13) % 265);
      chunk.actual[i] = row % 50 === 0 ? Number.NaN : 1 + (row % 59);
      chunk.predicted[i] = 5 + ((row * 31) % 4000) / 100;
    }
    yield chunk;
  }
}

async function withDatabase<T>(fn: (databaseUrl: string) => Promise<T>): Promise<T> {
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
    console.log(`embedded Postgres 17 on ${server.host}:${server.port} (fsync off)`);
  }
  const name = `tripcast_bench_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  try {
    return await fn(url.toString());
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
    await stop();
  }
}

const format = (n: number) => Math.round(n).toLocaleString('en-US');

async function main(): Promise<void> {
  // Throughput here is CPU-bound (Node encodes, Postgres parses and indexes): a busy machine lowers it.
  console.log(
    `machine: ${availableParallelism()} cores, load average ${loadavg()[0]?.toFixed(1)} (1 min)`,
  );
  const loadBefore = currentLoad();
  await withDatabase(async (databaseUrl) => {
    await applyMigrations({ databaseUrl });
    const pool = createPgPool(databaseUrl, { max: 2 });
    const db = createDbClient(databaseUrl, { max: 2, applicationName: 'bench-prisma' });
    try {
      const runs = await pool.query<{ key: number }>(
        `INSERT INTO batch_runs (id, taxi_type, year, month, input_uri, trigger) VALUES ('bench-copy', 'green', 2021, 1, 'bench', 'cli'), ('bench-create-many', 'green', 2021, 1, 'bench', 'cli') RETURNING key`,
      );
      const [copyRun, createManyRun] = runs.rows.map((row) => row.key) as [number, number];

      console.log(
        `\nCOPY writer (replaceRunPredictions), ${format(totalRows)} rows, binary COPY into a fresh partition + PK build + swap:`,
      );
      const copyRates: number[] = [];
      for (const attempt of ['first load', 'replace (rerun)']) {
        // Rows are generated before the clock starts: the scorer hands over chunks it already has.
        const chunks = [...generateChunks(totalRows)];
        const started = performance.now();
        const result = await replaceRunPredictions({ pool, runKey: copyRun, rows: chunks });
        const seconds = (performance.now() - started) / 1000;
        copyRates.push(result.rowCount / seconds);
        console.log(
          `  ${attempt.padEnd(16)} ${format(result.rowCount / seconds)} rows/s  (${seconds.toFixed(2)} s: load ${format(result.loadMs)} ms, index+analyze ${format(result.indexMs)} ms, swap ${format(result.swapMs)} ms; rows generated beforehand)`,
        );
      }
      const count = await pool.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM batch_predictions WHERE run_key = $1',
        [copyRun],
      );
      if (count.rows[0]?.n !== totalRows)
        throw new Error(`expected ${totalRows} rows, found ${count.rows[0]?.n}`);

      // createMany needs the run's partition to exist: an empty replace creates it.
      await replaceRunPredictions({ pool, runKey: createManyRun, rows: [] });
      const batches = [...generateChunks(createManyRows, CREATE_MANY_BATCH)].map((chunk) =>
        Array.from(chunk.rowIndex, (rowIndex, i) => ({
          runKey: createManyRun,
          rowIndex,
          rideId: chunk.rideId[i] as string,
          pickupDatetime: new Date(chunk.pickupMs[i] as number),
          puLocationId: chunk.pu[i] as number,
          doLocationId: chunk.do[i] as number,
          actualDuration: Number.isNaN(chunk.actual[i]) ? null : (chunk.actual[i] as number),
          predictedDuration: chunk.predicted[i] as number,
        })),
      );
      // Warm up Prisma's query compiler (loaded on first use) outside the measurement.
      const warmUp = batches[0]?.slice(0, 1) ?? [];
      await db.batchPrediction.createMany({
        data: warmUp.map((row) => ({ ...row, rowIndex: -1 })),
      });
      await db.batchPrediction.deleteMany({ where: { runKey: createManyRun, rowIndex: -1 } });
      const started = performance.now();
      for (const data of batches) await db.batchPrediction.createMany({ data });
      const seconds = (performance.now() - started) / 1000;
      const createManyRate = createManyRows / seconds;
      const extrapolated =
        createManyRows < totalRows
          ? ` (measured on ${format(createManyRows)} rows in ${seconds.toFixed(2)} s, extrapolated: ${format(totalRows / createManyRate)} s for ${format(totalRows)})`
          : '';
      console.log(
        `\nPrisma createMany, batches of ${format(CREATE_MANY_BATCH)} rows into the same table (PK maintained per row):`,
      );
      console.log(`  ${format(createManyRate)} rows/s${extrapolated}`);

      const best = Math.max(...copyRates);
      reportFigure({
        bench: 'db',
        name: `COPY writer, ${format(totalRows)} rows`,
        value: best,
        unit: 'rows/s',
        reference: { name: 'Prisma createMany', value: createManyRate, unit: 'rows/s' },
        target: { kind: 'at-least', value: TARGET_ROWS_PER_SECOND },
        loadBefore,
      });
      console.log(
        `\nresult: COPY ${format(best)} rows/s vs createMany ${format(createManyRate)} rows/s (${(best / createManyRate).toFixed(1)}x); target >= ${format(TARGET_ROWS_PER_SECOND)} rows/s: ${best >= TARGET_ROWS_PER_SECOND ? 'met' : 'NOT met'}`,
      );
    } finally {
      await db.$disconnect();
      await pool.end();
    }
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
