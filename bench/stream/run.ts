/**
 * Streaming benchmark. Two figures, each printed next to its target:
 *
 * 1. Handler core without network: decode + validate + ONE model call (real onnxruntime, the
 *    course's linear pair graph) + course output records built and serialised + history rows
 *    built, with the three I/O sinks (PutRecords, history, dead letters) replaced by in-memory
 *    sinks. One process, one core. Target: >= 200,000 records/s; [1b] the same with two
 *    challengers scoring every batch beside production: >= 150,000 records/s.
 * 2. End to end through the local Kinesis endpoint (kinesalite, in its own process) and Postgres: a producer puts
 *    course ride events on a 5-shard input stream at --rate (default 5,000/s: five shards at
 *    AWS's 1,000 records/s each); ONE consumer process (`cli.ts consume`) reads, scores,
 *    publishes to a 5-shard output stream and writes the history. Figures: events/s from the
 *    first put to the last history row, and p50/p99 latency from each event's put to its
 *    history row (prediction_history.created_at). Target: >= 5,000 events/s per consumer.
 *    kinesalite, Postgres, the producer and the consumer share this machine's cores, so the
 *    end-to-end figure is a floor for what the consumer does against AWS.
 *
 *   npx tsx bench/stream/run.ts [--only core|e2e] [--rate 5000] [--seconds 20] [--batch 1000]
 */
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { applyMigrations } from '@tripcast/db/migrate';
import { createLocalKinesisClient, ensureStreams, LOCAL_AWS_CREDENTIALS, startPostgres } from '@tripcast/local-stack';
import { buildLinearPairModel, linearPairCardIo, PAIR_TABLE_SIZE } from '@tripcast/model/onnx';
import { createLoadedModel, sha256Hex } from '@tripcast/model/runtime';
import pg from 'pg';

import { processRecords } from '@tripcast/stream-consumer/process-records';
import type { TInputRecord, TPutEntry } from '@tripcast/stream-consumer/types';
import { generateRideEvents, produceEvents } from '@tripcast/stream-consumer/producer';
import { currentLoad, reportFigure } from '../report';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.resolve(HERE, '../../apps/stream-consumer/src/cli.ts');
const TARGETS = { coreRecordsPerSec: 200_000, coreWithTwoChallengersPerSec: 150_000, e2eEventsPerSec: 5_000 };

const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    rate: { type: 'string', default: '5000' },
    seconds: { type: 'string', default: '20' },
    batch: { type: 'string', default: '1000' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log('Usage: npx tsx bench/stream/run.ts [--only core|e2e] [--rate 5000] [--seconds 20] [--batch 1000]');
  process.exit(0);
}

function buildModelFiles(version: string) {
  const pairCoefficients = new Float64Array(PAIR_TABLE_SIZE);
  let seed = 42;
  for (let i = 0; i < PAIR_TABLE_SIZE; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    pairCoefficients[i] = (seed / 2 ** 32 - 0.5) * 20;
  }
  const onnx = buildLinearPairModel({ pairCoefficients, distanceCoefficient: 2.5, intercept: 10 });
  const card = { schemaVersion: 1, name: 'ride_duration_prediction_model', version, createdAt: new Date().toISOString(), sha256: sha256Hex(onnx), ...linearPairCardIo() };
  return { onnx, card };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const verdict = (ok: boolean) => (ok ? 'MEETS target' : 'BELOW target');

/** The handler core with `challengerCount` challengers scoring every batch beside production (what challengers may cost: >= 150k records per CPU-second with two). */
async function benchCore(batchSize: number, challengerCount = 0) {
  const { onnx, card } = buildModelFiles('bench-core');
  const model = await createLoadedModel(onnx, card);
  const challengers = await Promise.all(
    Array.from({ length: challengerCount }, async (_, i) => {
      const files = buildModelFiles(`bench-challenger-${i + 1}`);
      const loaded = await createLoadedModel(files.onnx, files.card);
      return { version: loaded.version, model: loaded, error: null };
    }),
  );
  const total = 400_000;
  // Realistic bytes: the course JSON as producers send it, 1% poison records.
  const records: TInputRecord[] = [...generateRideEvents({ count: total, firstRideId: 1, seed: 7 })].map((event, i) => ({
    streamName: 'ride_events',
    shardId: `shardId-00000000000${i % 5}`,
    sequenceNumber: String(49_630_081_666_084_879_290_581_185_630_324_770_398_608_704_880_802_529_282n + BigInt(i)),
    partitionKey: String(event.ride_id),
    data: Buffer.from(i % 100 === 99 ? '{"ride": {"PULocationID": 999}}' : JSON.stringify(event)),
    arrivalMs: Date.now(),
  }));
  let published = 0;
  let historyRows = 0;
  let dead = 0;
  const deps = {
    getModel: () => model,
    getChallengers: () => challengers,
    publisher: { publish: (entries: TPutEntry[]) => ((published += entries.length), Promise.resolve({ failedIndexes: [] })) },
    history: { insertStreamHistory: (rows: unknown[]) => ((historyRows += rows.length), Promise.resolve({ refused: 0 })) },
    deadLetters: { insertDeadLetters: (rows: unknown[]) => ((dead += rows.length), Promise.resolve()) },
  };
  // Warm up (JIT, onnxruntime session), then measure.
  for (let i = 0; i < 20_000; i += batchSize) await processRecords(records.slice(i, i + batchSize), deps);
  published = historyRows = dead = 0;
  const started = performance.now();
  const loadBefore = currentLoad();
  const cpuStart = process.cpuUsage();
  for (let i = 0; i < total; i += batchSize) await processRecords(records.slice(i, i + batchSize), deps);
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  // CPU time of this process (user + system): the figure for "one core" even when other work
  // shares the machine; the wall-clock rate is printed too, with the load average.
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  await model.close();
  for (const challenger of challengers) await challenger.model.close();
  if (historyRows !== total + challengerCount * (total - total / 100) || dead !== total / 100 || published !== total - dead) throw new Error('core bench: counts do not add up');
  const rate = total / cpuSeconds;
  const target = challengerCount === 0 ? TARGETS.coreRecordsPerSec : TARGETS.coreWithTwoChallengersPerSec;
  console.log(
    `\n[1${challengerCount === 0 ? '' : 'b'}] handler core, no network${challengerCount === 0 ? '' : `, production + ${challengerCount} challengers (one model call each per batch)`} (batches of ${batchSize}, ${fmt(total)} records, 1% poison, node ${process.version}, ${cpus()[0]?.model ?? 'cpu'})`,
  );
  console.log(`    records per CPU-second (one core): ${fmt(rate)}   target >= ${fmt(target)}   ${verdict(rate >= target)}`);
  reportFigure({
    bench: 'stream',
    name: challengerCount === 0 ? 'handler core, per CPU-second' : `handler core with ${challengerCount} challengers, per CPU-second`,
    value: rate,
    unit: 'records/s',
    target: { kind: 'at-least', value: target },
    loadBefore,
  });
  console.log(`    wall clock: ${fmt(total / seconds)} records/s (load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores while measuring)`);
  return rate;
}

function percentile(sorted: number[], p: number) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function benchEndToEnd(rate: number, seconds: number) {
  const work = await mkdtemp(path.join(tmpdir(), 'tripcast-bench-stream-'));
  await chmod(work, 0o755); // embedded Postgres runs initdb as the postgres user when we are root
  const postgres = await startPostgres({ dataDir: path.join(work, 'pg'), port: 0, durable: false });
  const kinesisProcess = spawn(process.execPath, ['--import', 'tsx', path.join(HERE, 'kinesis-server.ts')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const kinesisServer = await new Promise<{ endpoint: string }>((resolve, reject) => {
    kinesisProcess.stdout.once('data', (chunk: Buffer) => resolve(JSON.parse(chunk.toString('utf8')) as { endpoint: string }));
    kinesisProcess.once('exit', (code) => reject(new Error(`kinesalite exited (${code})`)));
  });
  const aws = { region: 'us-east-1', credentials: LOCAL_AWS_CREDENTIALS, kinesis: { endpoint: kinesisServer.endpoint } };
  const kinesis = createLocalKinesisClient(aws);
  const databaseUrl = postgres.urlFor('postgres');
  await applyMigrations({ databaseUrl });
  await ensureStreams({ endpoint: kinesisServer.endpoint, region: 'us-east-1', streams: [{ name: 'ride_events', shardCount: 5 }, { name: 'ride_predictions', shardCount: 5 }] });
  const modelDir = path.join(work, 'model');
  await mkdir(modelDir);
  const { onnx, card } = buildModelFiles('bench-e2e');
  await writeFile(path.join(modelDir, 'model.onnx'), onnx);
  await writeFile(path.join(modelDir, 'card.json'), JSON.stringify(card));

  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  const count = async () => Number((await pool.query<{ n: string }>(`SELECT count(*) AS n FROM prediction_history WHERE source = 'stream'`)).rows[0]!.n);
  const waitForCount = async (n: number, limitMs: number) => {
    const deadline = Date.now() + limitMs;
    while ((await count()) < n) {
      if (Date.now() > deadline) throw new Error(`only ${await count()} of ${n} events reached the history`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const lastRowMs = async () => Number((await pool.query<{ at: number }>(`SELECT (extract(epoch from max(created_at)) * 1000)::float8 AS at FROM prediction_history`)).rows[0]!.at);

  // Phase A (capacity): a backlog already on the stream, drained by a consumer started after it.
  const loadBefore = currentLoad();
  const backlog = Math.max(rate * 5, 20_000);
  const preload = await produceEvents({ kinesis, streamName: 'ride_events', ratePerSecond: 1e9, events: generateRideEvents({ count: backlog, firstRideId: 1, seed: 3 }) });
  console.log(`\n[2] end to end: producer -> kinesalite (5 shards) -> ONE consumer process -> kinesalite output (5 shards) + Postgres history`);
  console.log(`    preloaded a backlog of ${fmt(backlog)} events (${fmt(preload.sent / preload.seconds)} puts/s into kinesalite)`);

  let healthUrl = '';
  const consumer = spawn(process.execPath, ['--import', 'tsx', CLI, 'consume'], {
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: databaseUrl,
      KINESIS_ENDPOINT_URL: kinesisServer.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: LOCAL_AWS_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_AWS_CREDENTIALS.secretAccessKey,
      MODEL_LOCATION: modelDir,
      HEALTH_PORT: '0',
      LOG_LEVEL: 'info',
      CONSUMER_IDLE_POLL_MS: '200',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  consumer.stdout.on('data', (chunk: Buffer) => {
    const match = /"health":"(http:\/\/[^"]+)\/health"/.exec(chunk.toString('utf8'));
    if (match) healthUrl = match[1]!;
  });
  const consumerMetrics = async () => (await (await fetch(`${healthUrl}/metrics`)).json()) as { cpuSeconds: number; recordsReceived: number };
  try {
    const spawnedAt = Date.now();
    while (!healthUrl) {
      if (Date.now() - spawnedAt > 60_000) throw new Error('the consumer did not start within 60 s');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const first = await consumerMetrics(); // after start-up (tsx, imports, model load)
    await waitForCount(backlog, 300_000);
    const drainSeconds = ((await lastRowMs()) - spawnedAt) / 1000;
    const drained = await consumerMetrics();
    const drainRate = backlog / drainSeconds;
    const perCpuSecond = (drained.recordsReceived - first.recordsReceived) / (drained.cpuSeconds - first.cpuSeconds);
    console.log(`    A. backlog drain: ${fmt(drainRate)} events/s (${fmt(backlog)} events in ${drainSeconds.toFixed(1)} s from consumer spawn, start-up included)   target >= ${fmt(TARGETS.e2eEventsPerSec)}   ${verdict(drainRate >= TARGETS.e2eEventsPerSec)}`);
    reportFigure({ bench: 'stream', name: 'end to end, backlog drain (one consumer)', value: drainRate, unit: 'events/s', target: { kind: 'at-least', value: TARGETS.e2eEventsPerSec }, loadBefore });
    console.log(`       consumer process CPU after start-up: ${(drained.cpuSeconds - first.cpuSeconds).toFixed(2)} s for ${fmt(drained.recordsReceived - first.recordsReceived)} records = ${fmt(perCpuSecond)} records per consumer CPU-second   target >= ${fmt(TARGETS.e2eEventsPerSec)}   ${verdict(perCpuSecond >= TARGETS.e2eEventsPerSec)}`);

    // Phase B at the target rate, then phase C at a low rate the local stack can always sustain,
    // so latency is also seen without a growing backlog.
    let nextId = backlog + 1;
    const runAtRate = async (label: string, ratePerSec: number, forSeconds: number) => {
      const total = ratePerSec * forSeconds;
      const firstId = nextId;
      nextId += total;
      const putAt = new Float64Array(firstId + total + 1); // by ride_id: wall-clock ms when its PutRecords returned
      const before = await count();
      const startedAt = Date.now();
      let pendingIds: number[] = [];
      const stats = await produceEvents({
        kinesis,
        streamName: 'ride_events',
        ratePerSecond: ratePerSec,
        events: (function* () {
          for (const event of generateRideEvents({ count: total, firstRideId: firstId, seed: firstId })) {
            pendingIds.push(event.ride_id as number);
            yield event;
          }
        })(),
        onProgress: () => {
          const now = Date.now();
          for (const id of pendingIds) putAt[id] = now;
          pendingIds = [];
        },
      });
      const producedSeconds = (Date.now() - startedAt) / 1000;
      await waitForCount(before + total, (forSeconds + 300) * 1000);
      const { rows } = await pool.query<{ ride_id: string; at: number }>(
        `SELECT ride_id, (extract(epoch from created_at) * 1000)::float8 AS at FROM prediction_history WHERE source = 'stream' AND ride_id::bigint >= $1 AND ride_id::bigint < $2`,
        [firstId, firstId + total],
      );
      const latencies = rows.map((row) => row.at - putAt[Number(row.ride_id)]!).sort((a, b) => a - b);
      const eventsPerSec = total / (((await lastRowMs()) - startedAt) / 1000);
      console.log(`    ${label}: produced ${fmt(stats.sent)} events in ${producedSeconds.toFixed(1)} s (asked ${fmt(ratePerSec)}/s, achieved ${fmt(stats.sent / producedSeconds)}/s)`);
      console.log(`       events/s (first put -> last history row): ${fmt(eventsPerSec)}${ratePerSec >= TARGETS.e2eEventsPerSec ? `   target >= ${fmt(TARGETS.e2eEventsPerSec)}   ${verdict(eventsPerSec >= TARGETS.e2eEventsPerSec)}` : ''}`);
      console.log(`       latency put -> history row: p50 ${fmt(percentile(latencies, 50))} ms, p99 ${fmt(percentile(latencies, 99))} ms, max ${fmt(latencies.at(-1)!)} ms`);
      return { eventsPerSec, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
    };
    const steady = await runAtRate('B. at the target rate', rate, seconds);
    const light = await runAtRate('C. light load (latency without a backlog)', 200, 10);
    console.log(`    (load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores; kinesalite, Postgres, producer and consumer all share them)`);
    return { drainRate, steady, light };
  } finally {
    consumer.kill('SIGTERM');
    await new Promise((resolve) => consumer.once('exit', resolve));
    await pool.end();
    kinesis.destroy();
    kinesisProcess.kill('SIGTERM');
    await postgres.stop();
    await rm(work, { recursive: true, force: true });
  }
}

if (args.only !== 'e2e') {
  await benchCore(Number(args.batch));
  await benchCore(Number(args.batch), 2);
}
if (args.only !== 'core') await benchEndToEnd(Number(args.rate), Number(args.seconds));
