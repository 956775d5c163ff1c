/**
 * The real entrypoint, apps/console/server.ts, as a child process (`--api-only`: Next is not
 * built in unit tests; the pages through the same server are the e2e suite's job) against a real
 * migrated Postgres and a real object-store folder holding real ONNX models:
 * the production-model watcher serves a promotion without a restart, and SIGTERM flushes the
 * history buffer before exiting.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDbClient } from '@tripcast/db/client';
import type { TDb } from '@tripcast/db/client';
import { createApiKey } from '@tripcast/db/queries/api-keys';
import { createMigratedTestDatabase } from '@tripcast/db/testing';
import type { TTestDatabase } from '@tripcast/db/testing';
import { buildLinearPairModel, linearPairCardIo, PAIR_TABLE_SIZE } from '@tripcast/model/onnx';
import { sha256Hex } from '@tripcast/model/runtime';
import { promoteModel, registerModel } from '@tripcast/model/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CONSOLE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MODEL_NAME = 'ride_duration_prediction_model';
const COURSE = { PULocationID: 10, DOLocationID: 50, trip_distance: 40 };

function modelArtifacts(version: string, intercept: number) {
  const onnx = buildLinearPairModel({ pairCoefficients: new Float64Array(PAIR_TABLE_SIZE), distanceCoefficient: 1, intercept });
  const card = { schemaVersion: 1 as const, name: MODEL_NAME, version, createdAt: new Date().toISOString(), sha256: sha256Hex(onnx), metrics: {}, ...linearPairCardIo() };
  return { onnx, card };
}

let db: TTestDatabase;
let prisma: TDb;
let storeUri: string;
/** server.ts requires an API key (PREDICT_API_ALLOW_ANONYMOUS is not set): a real one. */
let auth: Record<string, string>;

beforeAll(async () => {
  db = await createMigratedTestDatabase();
  prisma = createDbClient(db.url, { max: 2 });
  storeUri = await mkdtemp(path.join(tmpdir(), 'tripcast-console-store-'));
  for (const [version, intercept] of [['v1', 10], ['v2', 20]] as const) {
    await registerModel({ db: prisma, storeUri, ...modelArtifacts(version, intercept), actor: 'test' });
  }
  await promoteModel(prisma, { name: MODEL_NAME, version: 'v1', actor: 'test' });
  auth = { authorization: `Bearer ${(await createApiKey(prisma, { name: 'entrypoint test', createdBy: 'test' })).key}` };
});

afterAll(async () => {
  await prisma?.$disconnect();
  await db?.drop();
  if (storeUri) await rm(storeUri, { recursive: true, force: true });
});

async function startEntrypoint(env: Record<string, string>): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server.ts', '--api-only'], {
    cwd: CONSOLE_DIR,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'production',
      DATABASE_URL: db.url,
      OBJECT_STORE_URI: storeUri,
      MODEL_NAME,
      CONSOLE_HOST: '127.0.0.1',
      CONSOLE_PORT: '0',
      MODEL_WATCH_INTERVAL_MS: '200',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server.ts did not start:\n${output}`)), 45_000);
    const onData = () => {
      const match = /ready on (http:\/\/[\d.]+:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`server.ts exited with ${code}:\n${output}`)));
  });
  return { child, url, output: () => output };
}

async function predict(url: string, body: unknown = COURSE, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}/api/v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth, ...headers }, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
  return (await res.json()) as { duration: number; model_version: string };
}

describe('server.ts (--api-only)', () => {
  it('serves the production model, picks up a promotion without a restart, and flushes history on SIGTERM', async () => {
    // A long flush interval keeps the rows in the buffer until shutdown: only the SIGTERM flush can write them.
    const server = await startEntrypoint({ HISTORY_FLUSH_INTERVAL_MS: '600000', HISTORY_MAX_BATCH_ROWS: '100000' });
    try {
      const first = await predict(server.url);
      expect(first).toEqual({ duration: 50, model_version: 'v1' }); // intercept 10 + 40 miles * 1

      const health = await fetch(`${server.url}/api/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ checks: { model: { loaded: true, version: 'v1' } } });

      await promoteModel(prisma, { name: MODEL_NAME, version: 'v2', actor: 'test' });
      const deadline = Date.now() + 10_000;
      let latest = first;
      while (latest.model_version !== 'v2' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        latest = await predict(server.url);
      }
      expect(latest).toEqual({ duration: 60, model_version: 'v2' });

      const key = `shutdown-${Date.now()}`;
      await predict(server.url, { rides: Array.from({ length: 25 }, () => COURSE) }, { 'idempotency-key': key });
      expect(await prisma.predictionHistory.count({ where: { idempotencyKey: { startsWith: `${key}:` } } })).toBe(0);

      const exited = new Promise<number | null>((resolve) => server.child.once('exit', resolve));
      server.child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(server.output()).toMatch(/history flushed/);
      expect(server.output()).toMatch(/\/api\/v1\/predict requires an API key/);
      // Last use is written in batches off the request path; shutdown writes what is pending.
      const keys = await prisma.apiKey.findMany({ where: { name: 'entrypoint test' }, select: { lastUsedAt: true } });
      expect(keys[0]?.lastUsedAt).toBeInstanceOf(Date);
      const rows = await prisma.predictionHistory.findMany({
        where: { idempotencyKey: { startsWith: `${key}:` } },
        select: { source: true, modelVersion: true, predictedDuration: true },
      });
      expect(rows).toHaveLength(25);
      expect(rows.every((r) => r.source === 'online' && r.modelVersion === 'v2' && r.predictedDuration === 60)).toBe(true);
    } finally {
      if (server.child.exitCode === null) server.child.kill('SIGKILL');
    }
  });

  it('answers 503 model_unavailable, and health 503, while no version is in production', async () => {
    const server = await startEntrypoint({ MODEL_NAME: 'no_such_model' });
    try {
      const res = await fetch(`${server.url}/api/v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: JSON.stringify(COURSE) });
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ error: 'model_unavailable' });
      const health = await fetch(`${server.url}/api/health`);
      expect(health.status).toBe(503);
      expect(await health.json()).toMatchObject({ status: 'down', checks: { database: { status: 'ok' }, model: { loaded: false, name: 'no_such_model' } } });
    } finally {
      server.child.kill('SIGTERM');
    }
  });
});
