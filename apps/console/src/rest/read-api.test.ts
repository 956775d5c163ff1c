/**
 * The read API over real HTTP: a real server on port 0, a real migrated Postgres with real runs
 * (predictions loaded by the COPY writer), the run's Parquet in the local S3 server (s3rver) of
 * the local-stack harness, and API keys with scopes through the real guard.
 */
import type { AddressInfo } from 'node:net';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { replaceRunPredictions } from '@tripcast/db/batch-predictions';
import { createDbClient, createPgPool } from '@tripcast/db/client';
import type { TDb } from '@tripcast/db/client';
import { createApiKey, findApiKeyByHash, recordApiKeysUsed } from '@tripcast/db/queries/api-keys';
import { insertHistoryBatch } from '@tripcast/db/queries/history';
import { completeRun } from '@tripcast/db/queries/runs';
import { createMigratedTestDatabase, createTestRun, startTestRun } from '@tripcast/db/testing';
import type { TTestDatabase } from '@tripcast/db/testing';
import { createS3Client, createTestBucket, getTestAws } from '@tripcast/local-stack/testing';
import { openObjectStream } from '@tripcast/model/object-store';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKeyGuard } from './api-key-guard';
import type { TApiKeyGuard } from './api-key-guard';
import { createHistoryWriter } from './history-writer';
import type { THistoryWriter } from './history-writer';
import { createConsoleHttpServer } from './http-server';
import { ZErrorResponse } from './openapi';
import { ZBatchPredictionLine, ZRidePredictionsResponse, ZRunDetailResponse, ZRunListResponse } from './read-api';
import { createRestApi } from './rest-api';
import type { TRideScorer } from './ride-scorer';

const ROWS = 25;
let database: TTestDatabase;
let pool: pg.Pool;
let prisma: TDb;
let guard: TApiKeyGuard;
let history: THistoryWriter;
let baseUrl: string;
let closeServer: () => Promise<void>;
let readKey: string;
let predictKey: string;
let succeeded: { id: string; key: number };
let running: { id: string; key: number };
let parquetBytes: Uint8Array;

/** Not used by the read endpoints; predict is covered by rest-api.test.ts. */
const NO_SCORING: TRideScorer = () => Promise.reject(new Error('not in this suite'));

async function createRun(options: { month: number; status: 'succeeded' | 'running'; outputUri?: string }) {
  const run = await createTestRun(pool, { taxiType: 'green', year: 2021, month: options.month, inputUri: 'trip-data/x.parquet', trigger: 'cli' });
  await startTestRun(pool, {
    id: run.id,
    modelName: 'ride_duration_prediction_model',
    modelVersion: 'v3',
    inputUri: 'trip-data/x.parquet',
    outputUri: options.outputUri ?? null,
  });
  await replaceRunPredictions({
    pool,
    runKey: run.key,
    rows: [
      {
        rowIndex: Int32Array.from({ length: ROWS }, (_, i) => i),
        rideId: Array.from({ length: ROWS }, (_, i) => `2021/0${options.month}_${i}`),
        pickupMs: Float64Array.from({ length: ROWS }, (_, i) => Date.UTC(2021, options.month - 1, 1, 8, i)),
        pu: new Int16Array(ROWS).fill(130),
        do: new Int16Array(ROWS).fill(205),
        actual: Float32Array.from({ length: ROWS }, (_, i) => (i === 0 ? Number.NaN : 10)),
        predicted: new Float32Array(ROWS).fill(12.5),
      },
    ],
  });
  if (options.status === 'succeeded') {
    await completeRun(pool, run.id, { progress: 1, rowsRead: 0, rowsScored: 0, rowsRejected: 0, summary: null });
  }
  return run;
}

function get(path: string, options: { key?: string | null; accept?: string } = {}) {
  const key = options.key === undefined ? readKey : options.key;
  return fetch(`${baseUrl}${path}`, {
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(options.accept ? { accept: options.accept } : {}) },
  });
}

async function expectError(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  const body = ZErrorResponse.parse(await res.json());
  expect(body.error).toBe(code);
  return body;
}

beforeAll(async () => {
  database = await createMigratedTestDatabase();
  pool = createPgPool(database.url, { max: 3 });
  prisma = createDbClient(database.url, { max: 2 });
  readKey = (await createApiKey(prisma, { name: 'reporting', createdBy: 'test', scopes: ['read'] })).key;
  predictKey = (await createApiKey(prisma, { name: 'predict only', createdBy: 'test' })).key;

  // The run's Parquet, where the scorer puts it (bytes checked end to end, not parsed here).
  const bucket = await createTestBucket();
  parquetBytes = Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(256 * 1024, 7), Buffer.from('PAR1')]);
  const outputUri = `s3://${bucket}/predictions/taxi_type=green/year=2021/month=01/run.parquet`;
  const s3 = createS3Client();
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'predictions/taxi_type=green/year=2021/month=01/run.parquet', Body: parquetBytes }));
  s3.destroy();
  succeeded = await createRun({ month: 1, status: 'succeeded', outputUri });
  running = await createRun({ month: 2, status: 'running' });
  await insertHistoryBatch(pool, [
    { source: 'online', idempotencyKey: 'r:0', rideId: '2021/01_3', puLocationId: 1, doLocationId: 2, tripDistance: 1.5, predictedDuration: 9, modelName: 'm', modelVersion: 'v4', createdAt: new Date('2030-01-01T00:00:00Z') },
    { source: 'stream', idempotencyKey: 's/9', rideId: '256', predictedDuration: 11, modelName: 'm', modelVersion: 'v4' },
  ]);

  guard = createApiKeyGuard({
    findKey: (hash) => findApiKeyByHash(pool, hash),
    recordUsed: (usedAt) => recordApiKeysUsed(pool, usedAt),
    // Anonymous predict is on: reads must still require a key.
    allowAnonymous: true,
    rateLimit: { perSecond: 1, burst: 40 },
  });
  history = createHistoryWriter({ insertBatch: (rows) => Promise.resolve({ inserted: rows.length, refused: 0 }), flushIntervalMs: 1000 });
  const aws = getTestAws();
  const s3Options = { s3: { endpoint: aws.s3.endpoint, region: aws.region, credentials: aws.credentials } };
  const server = createConsoleHttpServer({
    api: createRestApi({
      score: NO_SCORING,
      history,
      guard,
      modelName: 'ride_duration_prediction_model',
      health: { pingDatabase: async () => {}, getModelStatus: () => ({ name: 'm', version: 'v1', loaded: true }) },
      read: { db: prisma, openObject: (uri) => openObjectStream(uri, s3Options) },
    }),
    logError: () => {},
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  closeServer = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
});

afterAll(async () => {
  await closeServer?.();
  await guard?.close();
  await history?.close();
  await prisma?.$disconnect();
  await pool?.end();
  await database?.drop();
});

describe('read API: keys and scopes', () => {
  it('refuses a request without a key (401) even where anonymous predict is allowed', async () => {
    await expectError(await get('/api/v1/runs', { key: null }), 401, 'unauthorized');
  });

  it('refuses a predict-only key with 403 naming the missing scope', async () => {
    const body = await expectError(await get('/api/v1/runs', { key: predictKey }), 403, 'forbidden');
    expect(body.message).toMatch(/may not read/);
  });

  it('refuses a read-only key on predict with 403', async () => {
    const res = await fetch(`${baseUrl}/api/v1/predict`, {
      method: 'POST',
      headers: { authorization: `Bearer ${readKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ PULocationID: 10, DOLocationID: 50, trip_distance: 40 }),
    });
    await expectError(res, 403, 'forbidden');
  });
});

describe('GET /api/v1/runs', () => {
  it('lists runs newest first, filtered by taxi type, month and status, paged', async () => {
    const all = ZRunListResponse.parse(await (await get('/api/v1/runs')).json());
    expect(all.runs.map((run) => run.run_id)).toEqual([running.id, succeeded.id]);
    const done = ZRunListResponse.parse(await (await get('/api/v1/runs?taxi_type=green&month=2021-01&status=succeeded')).json());
    expect(done.runs).toHaveLength(1);
    expect(done.runs[0]).toMatchObject({
      run_id: succeeded.id,
      taxi_type: 'green',
      year: 2021,
      month: 1,
      status: 'succeeded',
      model_version: 'v3',
      predictions_url: `/api/v1/runs/${succeeded.id}/predictions`,
    });
    const page1 = ZRunListResponse.parse(await (await get('/api/v1/runs?limit=1')).json());
    expect(page1.runs.map((run) => run.run_id)).toEqual([running.id]);
    const page2 = ZRunListResponse.parse(await (await get(`/api/v1/runs?limit=1&cursor=${page1.next_cursor}`)).json());
    expect(page2.runs.map((run) => run.run_id)).toEqual([succeeded.id]);
    expect(page2.next_cursor).toBeNull();
    expect((ZRunListResponse.parse(await (await get('/api/v1/runs?month=2020-01')).json())).runs).toEqual([]);
  });

  it('answers 400 naming each wrong or unknown parameter', async () => {
    const body = await expectError(await get('/api/v1/runs?month=2021-13&status=done&limit=0&taxitype=green'), 400, 'invalid_request');
    expect(body.issues?.map((issue) => issue.path).sort()).toEqual(['limit', 'month', 'status', 'taxitype']);
    expect(body.issues?.find((issue) => issue.path === 'month')?.message).toMatch(/YYYY-MM/);
  });
});

describe('GET /api/v1/runs/{id}', () => {
  it('shows one run with its output URI; 404 for an unknown id', async () => {
    const run = ZRunDetailResponse.strict().parse(await (await get(`/api/v1/runs/${succeeded.id}`)).json());
    expect(run).toMatchObject({ run_id: succeeded.id, rows_scored: 0, status: 'succeeded' });
    expect(run.output_uri).toMatch(/^s3:\/\/.*\/run\.parquet$/);
    const missing = await expectError(await get('/api/v1/runs/no-such-run'), 404, 'not_found');
    expect(missing.message).toContain('no-such-run');
  });
});

describe('GET /api/v1/runs/{id}/predictions', () => {
  it('pages JSON lines in row order with X-Next-After and a Link to the next page', async () => {
    const first = await get(`/api/v1/runs/${succeeded.id}/predictions?limit=10`);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
    expect(first.headers.get('x-next-after')).toBe('9');
    const lines = (await first.text()).trimEnd().split('\n').map((line) => ZBatchPredictionLine.strict().parse(JSON.parse(line)));
    expect(lines.map((line) => line.row_index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(lines[0]).toEqual({
      row_index: 0,
      ride_id: '2021/01_0',
      pickup_datetime: '2021-01-01T08:00:00',
      pu_location_id: 130,
      do_location_id: 205,
      actual_duration: null,
      predicted_duration: 12.5,
      diff: null,
      model_version: 'v3',
    });
    expect(lines[1]).toMatchObject({ actual_duration: 10, diff: -2.5 });

    // Follow the Link header to the end.
    const seen = lines.map((line) => line.row_index);
    let link = /<([^>]+)>; rel="next"/.exec(first.headers.get('link') ?? '')?.[1];
    while (link) {
      const res = await get(link);
      seen.push(...(await res.text()).trimEnd().split('\n').map((line) => (JSON.parse(line) as { row_index: number }).row_index));
      link = /<([^>]+)>; rel="next"/.exec(res.headers.get('link') ?? '')?.[1];
      if (!link) expect(res.headers.get('x-next-after')).toBeNull();
    }
    expect(seen).toEqual(Array.from({ length: ROWS }, (_, i) => i));
  });

  it('serves CSV by Accept or ?format=csv, with a header row', async () => {
    for (const res of [
      await get(`/api/v1/runs/${succeeded.id}/predictions?after=22`, { accept: 'text/csv' }),
      await get(`/api/v1/runs/${succeeded.id}/predictions?after=22&format=csv`, { accept: 'application/x-ndjson' }),
    ]) {
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      expect(await res.text()).toBe(
        'row_index,ride_id,pickup_datetime,pu_location_id,do_location_id,actual_duration,predicted_duration,diff,model_version\n' +
          '23,2021/01_23,2021-01-01T08:23:00,130,205,10,12.5,-2.5,v3\n' +
          '24,2021/01_24,2021-01-01T08:24:00,130,205,10,12.5,-2.5,v3\n',
      );
    }
  });

  it("streams the run's Parquet from the object store, byte for byte", async () => {
    const res = await get(`/api/v1/runs/${succeeded.id}/predictions`, { accept: 'application/vnd.apache.parquet' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.apache.parquet');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${succeeded.id}.parquet"`);
    expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(parquetBytes))).toBe(true);
  });

  it('409 for a run that has not succeeded, 406 for a format it cannot serve, 400 for a bad page', async () => {
    const body = await expectError(await get(`/api/v1/runs/${running.id}/predictions`), 409, 'run_not_finished');
    expect(body.message).toContain('running');
    await expectError(await get(`/api/v1/runs/${succeeded.id}/predictions`, { accept: 'image/png' }), 406, 'not_acceptable');
    const bad = await expectError(await get(`/api/v1/runs/${succeeded.id}/predictions?after=x&limit=999999&format=xml`), 400, 'invalid_request');
    expect(bad.issues?.map((issue) => issue.path).sort()).toEqual(['after', 'format', 'limit']);
  });
});

describe('GET /api/v1/predictions?ride_id=', () => {
  it('finds one ride across batch and online, newest first; mode narrows it', async () => {
    const res = ZRidePredictionsResponse.parse(await (await get('/api/v1/predictions?ride_id=2021/01_3')).json());
    expect(res.predictions.map((p) => [p.mode, p.model_version, p.predicted_duration])).toEqual([
      ['online', 'v4', 9],
      ['batch', 'v3', 12.5],
    ]);
    expect(res.predictions[1]).toMatchObject({ run_id: succeeded.id, row_index: 3, actual_duration: 10 });
    const batchOnly = ZRidePredictionsResponse.parse(await (await get('/api/v1/predictions?ride_id=2021/01_3&mode=batch')).json());
    expect(batchOnly.predictions.map((p) => p.mode)).toEqual(['batch']);
    const stream = ZRidePredictionsResponse.parse(await (await get('/api/v1/predictions?ride_id=256')).json());
    expect(stream.predictions.map((p) => [p.mode, p.predicted_duration])).toEqual([['stream', 11]]);
    // The running run's rows of month 2 are not a finished month.
    expect(ZRidePredictionsResponse.parse(await (await get('/api/v1/predictions?ride_id=2021/02_3')).json()).predictions).toEqual([]);
  });

  it('400 naming ride_id when it is missing', async () => {
    const body = await expectError(await get('/api/v1/predictions'), 400, 'invalid_request');
    expect(body.issues?.map((issue) => issue.path)).toEqual(['ride_id']);
  });
});

describe('OpenAPI', () => {
  it('documents the four read endpoints with their parameters and the read errors', async () => {
    const doc = (await (await fetch(`${baseUrl}/api/v1/openapi.json`)).json()) as {
      paths: Record<string, { get?: { parameters: { name: string }[]; responses: Record<string, unknown> } }>;
      components: { schemas: Record<string, unknown> };
    };
    expect(doc.paths['/api/v1/runs']?.get?.parameters.map((p) => p.name)).toEqual(['taxi_type', 'month', 'status', 'limit', 'cursor']);
    expect(doc.paths['/api/v1/runs/{id}']?.get).toBeDefined();
    expect(doc.paths['/api/v1/runs/{id}/predictions']?.get?.parameters.map((p) => p.name)).toEqual(['id', 'format', 'after', 'limit']);
    expect(Object.keys(doc.paths['/api/v1/runs/{id}/predictions']!.get!.responses)).toEqual(
      expect.arrayContaining(['200', '400', '401', '403', '404', '406', '409', '429']),
    );
    expect(doc.paths['/api/v1/predictions']?.get?.parameters.map((p) => p.name)).toEqual(['ride_id', 'mode', 'limit']);
    for (const name of ['RunList', 'RunDetail', 'BatchPredictionLine', 'RidePredictions']) expect(doc.components.schemas[name], name).toBeDefined();
  });
});

describe('rate limit', () => {
  it('read requests spend the same per-key token bucket as predict: 429 with Retry-After once it is empty', async () => {
    // Burst 40, 1/s: the requests above took some of the tokens; these take the rest.
    let limited: Response | undefined;
    for (let i = 0; i < 45 && !limited; i++) {
      const res = await get('/api/v1/runs?limit=1');
      if (res.status === 429) limited = res;
      else await res.arrayBuffer();
    }
    expect(limited).toBeDefined();
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    await expectError(limited!, 429, 'rate_limited');
  });
});
