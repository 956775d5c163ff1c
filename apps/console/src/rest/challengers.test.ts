// Challengers on the online path, over real HTTP: embedded Postgres (history rows), real
// onnxruntime sessions on real ONNX graphs. The failing challenger is a real session that was
// closed, so its predict throws as a broken one would mid-flight.
import type { AddressInfo } from 'node:net';
import { createDbClient, createPgPool } from '@tripcast/db/client';
import type { TDb } from '@tripcast/db/client';
import { createMigratedTestDatabase } from '@tripcast/db/testing';
import type { TTestDatabase } from '@tripcast/db/testing';
import { buildLinearPairModel, linearPairCardIo, PAIR_TABLE_SIZE } from '@tripcast/model/onnx';
import { openObjectStream } from '@tripcast/model/object-store';
import { createLoadedModel, sha256Hex } from '@tripcast/model/runtime';
import type { TLoadedModel } from '@tripcast/model/runtime';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKeyGuard } from './api-key-guard';
import { createModelRouting, type TChallengerSlot } from './challengers';
import { createHistoryInserter } from './history-insert';
import { createHistoryWriter, type THistoryWriter } from './history-writer';
import { createConsoleHttpServer } from './http-server';
import { createRestApi } from './rest-api';
import { createMicroBatchingScorer } from './ride-scorer';

const RIDE = { PULocationID: 10, DOLocationID: 50, trip_distance: 4 };

/** duration = intercept + 0.5 * distance, whatever the zones: easy to tell versions apart. */
async function buildModel(version: string, intercept: number): Promise<TLoadedModel> {
  const bytes = buildLinearPairModel({
    pairCoefficients: new Float64Array(PAIR_TABLE_SIZE),
    distanceCoefficient: 0.5,
    intercept,
  });
  const card = {
    schemaVersion: 1,
    name: 'ride_duration_prediction_model',
    version,
    createdAt: new Date().toISOString(),
    sha256: sha256Hex(bytes),
    ...linearPairCardIo(),
  };
  return createLoadedModel(bytes, card);
}

let db: TTestDatabase;
let pool: pg.Pool;
let prisma: TDb;
let history: THistoryWriter;
let production: TLoadedModel;
let good: TLoadedModel;
let failing: TLoadedModel;
let url: string;
let close: () => Promise<void>;
let nextRandom = 0.99;
const guard = createApiKeyGuard({
  findKey: () => Promise.resolve(null),
  recordUsed: () => Promise.resolve(),
  allowAnonymous: true,
  rateLimit: { perSecond: 1e5, burst: 1e5 },
});

beforeAll(async () => {
  db = await createMigratedTestDatabase();
  pool = createPgPool(db.url, { max: 4 });
  prisma = createDbClient(db.url, { max: 2 });
  [production, good, failing] = await Promise.all([
    buildModel('prod', 5),
    buildModel('c-good', 20),
    buildModel('c-failing', 50),
  ]);
  await failing.close();
  history = createHistoryWriter({ insertBatch: createHistoryInserter(pool), flushIntervalMs: 20 });
  const challengers: TChallengerSlot[] = [
    { version: 'c-good', model: good, error: null },
    { version: 'c-failing', model: failing, error: null },
  ];
  const score = createMicroBatchingScorer(() => production);
  const server = createConsoleHttpServer({
    api: createRestApi({
      score,
      routing: createModelRouting({
        production: score,
        getProductionVersion: () => production.version,
        getChallengers: () => challengers,
        history,
        canary: { version: 'c-good', share: 0.1 },
        random: () => nextRandom,
        log: () => {},
      }),
      history,
      guard,
      modelName: 'ride_duration_prediction_model',
      read: { db: prisma, openObject: (uri: string) => openObjectStream(uri) },
      health: {
        pingDatabase: async () => void (await pool.query('SELECT 1', [])),
        getModelStatus: () => ({
          name: production.name,
          version: production.version,
          loaded: true,
        }),
      },
    }),
    logError: () => {},
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
});

afterAll(async () => {
  await close?.();
  await history?.close();
  await guard.close();
  await prisma?.$disconnect();
  await pool?.end();
  await Promise.all([production?.close(), good?.close()]);
  await db?.drop();
});

const predict = (key: string, headers: Record<string, string> = {}, query = '') =>
  fetch(`${url}/api/v1/predict${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': key, ...headers },
    body: JSON.stringify(RIDE),
  });

async function rowsOf(key: string, expected: number) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { rows } = await pool.query<{ version: string; role: string; minutes: number }>(
      `SELECT model_version AS version, role::text, predicted_duration AS minutes FROM prediction_history
        WHERE source = 'online' AND idempotency_key = $1 ORDER BY role, model_version`,
      [`${key}:0`],
    );
    if (rows.length >= expected || Date.now() > deadline) return rows;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('online challengers', () => {
  it('production answers unchanged; the good challenger is recorded after the response; the failing one is skipped and reported in health', async () => {
    const res = await predict('shadow-1');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ duration: 7, model_version: 'prod' });
    expect(await rowsOf('shadow-1', 2)).toEqual([
      { version: 'c-good', role: 'challenger', minutes: 22 },
      { version: 'prod', role: 'production', minutes: 7 },
    ]);
    const health = (await (await fetch(`${url}/api/health`)).json()) as {
      status: string;
      challengers: unknown[];
    };
    expect(health.status).toBe('ok');
    expect(health.challengers).toEqual([
      { version: 'c-good', status: 'ok', error: null, ridesScored: 1, batchesFailed: 0 },
      {
        version: 'c-failing',
        status: 'error',
        error: expect.stringMatching(/^predict failed: /) as string,
        ridesScored: 0,
        batchesFailed: 1,
      },
    ]);
  });

  it('a caller asks for a version (header or query); the answer and its row say so (role canary); an unknown version is a 400 naming the field', async () => {
    const byHeader = await predict('ask-1', { 'x-model-version': 'c-good' });
    expect(await byHeader.json()).toEqual({ duration: 22, model_version: 'c-good' });
    expect(await rowsOf('ask-1', 1)).toEqual([{ version: 'c-good', role: 'canary', minutes: 22 }]);
    const byQuery = await predict('ask-2', {}, '?model_version=prod');
    expect(await byQuery.json()).toEqual({ duration: 7, model_version: 'prod' });
    const unknown = await predict('ask-3', {}, '?model_version=nope');
    expect(unknown.status).toBe(400);
    const body = (await unknown.json()) as { issues: { path: string; message: string }[] };
    expect(body.issues).toEqual([
      { path: 'query.model_version', message: 'must be one of prod, c-good, c-failing' },
    ]);
  });

  it('the canary share is answered by the named challenger and recorded as canary', async () => {
    nextRandom = 0.05; // below the 0.1 share
    try {
      const res = await predict('canary-1');
      expect(await res.json()).toEqual({ duration: 22, model_version: 'c-good' });
      expect(await rowsOf('canary-1', 1)).toEqual([
        { version: 'c-good', role: 'canary', minutes: 22 },
      ]);
    } finally {
      nextRandom = 0.99;
    }
  });
});
