/**
 * The prediction API over real HTTP: a real server on port 0, a real migrated Postgres from the
 * local-stack harness, real onnxruntime sessions on real ONNX graphs (the linear pair model the
 * trainer exports, with coefficients chosen here so every expected duration is known).
 *
 * The server runs WITHOUT Next (no `fallback`): these tests are about /api/v1 and /api/health,
 * which never reach Next; building Next here would cost minutes and test nothing of this layer.
 * The Next handoff itself is covered by the console's e2e run against server.ts.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMigratedTestDatabase } from '@tripcast/db/testing';
import type { TTestDatabase } from '@tripcast/db/testing';
import { createDbClient, createPgPool } from '@tripcast/db/client';
import type { TDb } from '@tripcast/db/client';
import { createApiKey, findApiKeyByHash, recordApiKeysUsed, revokeApiKey } from '@tripcast/db/queries/api-keys';
import { createTestStream, getTestAws } from '@tripcast/local-stack/testing';
import { ZPredictRequest } from '@tripcast/model';
import { buildLinearPairModel, linearPairCardIo, PAIR_TABLE_SIZE } from '@tripcast/model/onnx';
import { openObjectStream } from '@tripcast/model/object-store';
import { createLoadedModel, sha256Hex } from '@tripcast/model/runtime';
import type { TLoadedModel } from '@tripcast/model/runtime';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKeyGuard } from './api-key-guard';
import type { TApiKeyGuard, TApiKeyGuardOptions } from './api-key-guard';
import { createHistoryInserter } from './history-insert';
import { createHistoryWriter } from './history-writer';
import type { THistoryWriter } from './history-writer';
import { HttpError } from './http-error';
import { createConsoleHttpServer } from './http-server';
import { ZErrorResponse, ZPredictBatchResponse, ZPredictResponse } from './openapi';
import { createRestApi } from './rest-api';
import type { TRestApiDeps } from './rest-api';
import { createMicroBatchingScorer } from './ride-scorer';
import { createStreamDescriber } from './stream-status';

const COURSE = { PULocationID: 10, DOLocationID: 50, trip_distance: 40 };
const INTERCEPT = 5;
const DISTANCE_COEF = 0.5;

/** Pair coefficient = PU/10 + DO/100, so every pair's expected duration is easy to compute. */
function expectedMinutes(pu: number, dropoff: number, distance: number, offset = 0): number {
  return INTERCEPT + offset + pu / 10 + dropoff / 100 + distance * DISTANCE_COEF;
}

async function buildModel(version: string, offset: number): Promise<TLoadedModel> {
  const pairCoefficients = new Float64Array(PAIR_TABLE_SIZE);
  for (let pu = 1; pu <= 265; pu++) for (let d = 1; d <= 265; d++) pairCoefficients[pu * 266 + d] = pu / 10 + d / 100;
  const bytes = buildLinearPairModel({ pairCoefficients, distanceCoefficient: DISTANCE_COEF, intercept: INTERCEPT + offset });
  const card = { schemaVersion: 1, name: 'ride_duration_prediction_model', version, createdAt: new Date().toISOString(), sha256: sha256Hex(bytes), ...linearPairCardIo() };
  return createLoadedModel(bytes, card);
}

type TServer = { url: string; close: () => Promise<void> };

async function startServer(deps: Omit<TRestApiDeps, 'read'> & Partial<Pick<TRestApiDeps, 'read'>>): Promise<TServer> {
  // The read endpoints have their own suite (read-api.test.ts); here they only need to exist.
  const read = deps.read ?? { db: prisma, openObject: (uri: string) => openObjectStream(uri) };
  const server = createConsoleHttpServer({ api: createRestApi({ ...deps, read }), logError: () => {} });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** A raw request (fetch cannot send a wrong Content-Length or a body on purpose-built chunks). */
function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string | number>; chunks?: (string | Buffer)[] },
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'POST', headers: options.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    // The server may close the socket while we are still sending an oversized body: that is the point.
    req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error)));
    for (const chunk of options.chunks ?? []) req.write(chunk);
    req.end();
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let db: TTestDatabase;
let pool: pg.Pool;
let modelV1: TLoadedModel;
let modelV2: TLoadedModel;
let current: TLoadedModel;
let history: THistoryWriter;
let server: TServer;
let prisma: TDb;
let guard: TApiKeyGuard;
/** A real key created in the database; every request of these tests sends it. */
let apiKey: string;
let auth: Record<string, string>;

function createGuard(overrides: Partial<TApiKeyGuardOptions> = {}): TApiKeyGuard {
  return createApiKeyGuard({
    findKey: (keyHash) => findApiKeyByHash(pool, keyHash),
    recordUsed: (usedAt) => recordApiKeysUsed(pool, usedAt),
    allowAnonymous: false,
    rateLimit: { perSecond: 100_000, burst: 100_000 },
    ...overrides,
  });
}

function post(body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${server.url}/api/v1/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function expectError(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const text = await res.text();
  // Never a stack trace or an internal schema.
  expect(text).not.toMatch(/\n\s+at |node_modules|ZodError|"code":"invalid_type"|_zod/);
  const body = ZErrorResponse.parse(JSON.parse(text));
  expect(body.error).toBe(code);
  return body;
}

beforeAll(async () => {
  db = await createMigratedTestDatabase();
  pool = createPgPool(db.url, { max: 4 });
  prisma = createDbClient(db.url, { max: 2 });
  apiKey = (await createApiKey(prisma, { name: 'rest tests', createdBy: 'test' })).key;
  auth = { authorization: `Bearer ${apiKey}` };
  guard = createGuard();
  [modelV1, modelV2] = await Promise.all([buildModel('v1', 0), buildModel('v2', 100)]);
  current = modelV1;
  history = createHistoryWriter({ insertBatch: createHistoryInserter(pool), flushIntervalMs: 20 });
  server = await startServer({
    score: createMicroBatchingScorer(() => current),
    history,
    guard,
    modelName: 'ride_duration_prediction_model',
    maxBodyBytes: 64 * 1024,
    health: {
      pingDatabase: async () => void (await pool.query('SELECT 1', [])),
      getModelStatus: () => ({ name: current.name, version: current.version, loaded: true }),
    },
  });
});

afterAll(async () => {
  await server?.close();
  await history?.close();
  await guard?.close();
  await prisma?.$disconnect();
  await pool?.end();
  await Promise.all([modelV1?.close(), modelV2?.close()]);
  await db?.drop();
});

describe('POST /api/v1/predict', () => {
  it('answers the course body with the duration and the model version', async () => {
    const res = await post(COURSE);
    expect(res.status).toBe(200);
    const body = ZPredictResponse.strict().parse(await res.json());
    expect(Object.keys(body).sort()).toEqual(['duration', 'model_version']);
    expect(body.model_version).toBe('v1');
    expect(body.duration).toBeCloseTo(expectedMinutes(10, 50, 40), 3);
  });

  it('answers a list of rides in order, echoing ride ids (numbers and strings)', async () => {
    const rides = [
      { ride_id: 256, PULocationID: 130, DOLocationID: 205, trip_distance: 3.66 },
      { PULocationID: 1, DOLocationID: 265, trip_distance: 0 },
      { ride_id: 'trip-c', PULocationID: 265, DOLocationID: 1, trip_distance: 500 },
    ];
    const res = await post({ rides });
    expect(res.status).toBe(200);
    const body = ZPredictBatchResponse.parse(await res.json());
    expect(body.model_version).toBe('v1');
    expect(body.predictions).toHaveLength(3);
    expect(body.predictions.map((p) => p.ride_id)).toEqual([256, undefined, 'trip-c']);
    rides.forEach((ride, i) => {
      expect(body.predictions[i]!.duration).toBeCloseTo(expectedMinutes(ride.PULocationID, ride.DOLocationID, ride.trip_distance), 2);
      expect(body.predictions[i]!.model_version).toBe('v1');
    });
  });

  it('keeps each response with its own rides when concurrent requests are micro-batched', async () => {
    const rides = Array.from({ length: 64 }, (_, i) => ({ PULocationID: 1 + i, DOLocationID: 200 - i, trip_distance: 1 + i / 4 }));
    const responses = await Promise.all(rides.map((ride) => post(ride).then((r) => r.json() as Promise<{ duration: number }>)));
    responses.forEach((body, i) => {
      const ride = rides[i]!;
      expect(body.duration).toBeCloseTo(expectedMinutes(ride.PULocationID, ride.DOLocationID, ride.trip_distance), 3);
    });
  });

  it('ignores unknown fields (the model package rule: stripped, never an error)', async () => {
    const res = await post({ ...COURSE, fare_amount: 12.5, VendorID: 2 });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { duration: number }).duration).toBeCloseTo(expectedMinutes(10, 50, 40), 3);
  });

  it('reports the version of the model in production at the time of the request', async () => {
    current = modelV2;
    try {
      const body = (await (await post(COURSE)).json()) as { duration: number; model_version: string };
      expect(body.model_version).toBe('v2');
      expect(body.duration).toBeCloseTo(expectedMinutes(10, 50, 40, 100), 3);
    } finally {
      current = modelV1;
    }
  });
});

describe('bad input gets a 4xx naming the field', () => {
  const cases: [string, unknown, string, RegExp][] = [
    ['missing field', { PULocationID: 10, trip_distance: 4 }, 'DOLocationID', /required/],
    ['wrong type', { ...COURSE, PULocationID: '10' }, 'PULocationID', /number/],
    ['zone 0', { ...COURSE, PULocationID: 0 }, 'PULocationID', /between 1 and 265/],
    ['zone 266', { ...COURSE, DOLocationID: 266 }, 'DOLocationID', /between 1 and 265/],
    ['fractional zone', { ...COURSE, DOLocationID: 5.5 }, 'DOLocationID', /integer/],
    ['negative distance', { ...COURSE, trip_distance: -3 }, 'trip_distance', /0 miles or more/],
    ['absurd distance', { ...COURSE, trip_distance: 90_000 }, 'trip_distance', /at most 500/],
    ['bad ride in a list', { rides: [COURSE, COURSE, { ...COURSE, PULocationID: 300 }] }, 'rides.2.PULocationID', /between/],
    ['bad ride_id', { rides: [{ ...COURSE, ride_id: { a: 1 } }] }, 'rides.0.ride_id', /ride_id/],
    ['empty list', { rides: [] }, 'rides', /at least one/],
    ['not an object', [COURSE], '(body)', /JSON object/],
  ];
  it.each(cases)('%s', async (_name, body, path, message) => {
    const error = await expectError(await post(body), 400, 'invalid_request');
    const issue = error.issues?.find((i) => i.path === path);
    expect(issue, JSON.stringify(error.issues)).toBeDefined();
    expect(issue!.message).toMatch(message);
  });

  it('many bad rides: the first 100 issues, flagged as truncated, and validation stops there (a bounded answer)', async () => {
    // 1,000 rides with three wrong fields each (the test server's body limit is 64 KiB): 3,000 issues before the cap.
    const rides = Array.from({ length: 1_000 }, () => ({ PULocationID: 0, DOLocationID: 999, trip_distance: -1 }));
    const res = await post({ rides });
    const text = await res.clone().text();
    const error = await expectError(res, 400, 'invalid_request');
    expect(error.issues).toHaveLength(100);
    expect(error.issues?.[0]).toEqual({ path: 'rides.0.PULocationID', message: expect.stringContaining('between 1 and 265') as string });
    expect(error.issues_truncated).toBe(true);
    expect(error.message).toContain('validation stopped after 100 issues, at ride 33 of 1000');
    expect(text.length).toBeLessThan(16 * 1024);
    // Few issues: all of them, not flagged.
    const few = await expectError(await post({ rides: [COURSE, { ...COURSE, DOLocationID: 0 }] }), 400, 'invalid_request');
    expect(few.issues).toHaveLength(1);
    expect(few.issues_truncated).toBeUndefined();
  });

  it('invalid JSON: 400 invalid_json', async () => {
    const error = await expectError(await post('{"PULocationID": 10,'), 400, 'invalid_json');
    expect(error.message).toMatch(/not valid JSON/);
    await expectError(await post(''), 400, 'invalid_json');
  });

  it('wrong or missing content type: 415', async () => {
    const res = await fetch(`${server.url}/api/v1/predict`, { method: 'POST', headers: { 'content-type': 'text/plain', ...auth }, body: JSON.stringify(COURSE) });
    const error = await expectError(res, 415, 'unsupported_media_type');
    expect(error.message).toMatch(/application\/json/);
    const form = await rawRequest(`${server.url}/api/v1/predict`, { headers: { 'content-type': 'application/x-www-form-urlencoded', ...auth }, chunks: ['a=1'] });
    expect(form.status).toBe(415);
    const none = await rawRequest(`${server.url}/api/v1/predict`, { headers: auth, chunks: [JSON.stringify(COURSE)] });
    expect(none.status).toBe(415);
    const latin1 = await rawRequest(`${server.url}/api/v1/predict`, { headers: { 'content-type': 'application/json; charset=latin1', ...auth }, chunks: ['{}'] });
    expect(latin1.status).toBe(415);
    // charset=utf-8 is fine.
    expect((await post(COURSE, { 'content-type': 'application/json; charset=UTF-8' })).status).toBe(200);
  });

  it('body over the limit: 413, refused from Content-Length before reading, connection closed', async () => {
    const declared = await rawRequest(`${server.url}/api/v1/predict`, {
      headers: { 'content-type': 'application/json', 'content-length': 10 * 1024 * 1024, ...auth },
      chunks: ['{"rides": ['],
    });
    expect(declared.status).toBe(413);
    expect(declared.headers.connection).toBe('close');
    expect(JSON.parse(declared.body)).toMatchObject({ error: 'payload_too_large' });
  });

  it('chunked body over the limit: 413 as soon as it crosses the limit', async () => {
    const ride = JSON.stringify(COURSE);
    const chunk = Buffer.from(`${ride},`.repeat(200)); // ~10 KB per chunk, limit is 64 KB
    const res = await rawRequest(`${server.url}/api/v1/predict`, {
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked', ...auth },
      chunks: ['{"rides": [', ...Array.from({ length: 20 }, () => chunk)],
    });
    expect(res.status).toBe(413);
    // Under the limit the same shape is fine.
    const ok = await post({ rides: Array.from({ length: 100 }, () => COURSE) });
    expect(ok.status).toBe(200);
  });

  it('wrong method: 405 with Allow', async () => {
    const res = await fetch(`${server.url}/api/v1/predict`);
    await expectError(res, 405, 'method_not_allowed');
    expect(res.headers.get('allow')).toBe('POST');
    const put = await fetch(`${server.url}/api/v1/openapi.json`, { method: 'PUT' });
    await expectError(put, 405, 'method_not_allowed');
    expect(put.headers.get('allow')).toBe('GET, HEAD');
  });

  it('unknown path: 404 JSON', async () => {
    await expectError(await fetch(`${server.url}/api/v1/nothing-here`), 404, 'not_found');
    await expectError(await post(COURSE).then(() => fetch(`${server.url}/api/v1/predict/extra`, { method: 'POST' })), 404, 'not_found');
  });

  it('the server still answers after all of the above', async () => {
    expect((await post(COURSE)).status).toBe(200);
  });
});

describe('prediction history', () => {
  type THistoryDbRow = { idempotency_key: string; ride_id: string | null; pu_location_id: number; do_location_id: number; trip_distance: number; predicted_duration: number; model_name: string; model_version: string; source: string; status: string; latency_ms: number };

  async function rowsFor(key: string): Promise<THistoryDbRow[]> {
    const result = await pool.query<THistoryDbRow>(
      `SELECT idempotency_key, ride_id, pu_location_id, do_location_id, trip_distance, predicted_duration, model_name,
              model_version, source::text, status::text, latency_ms
         FROM prediction_history WHERE idempotency_key LIKE $1 ORDER BY idempotency_key`,
      [`${key}:%`],
    );
    return result.rows;
  }

  it('writes every prediction of a request, off the request path, with source online and the version', async () => {
    const key = `test-${Date.now()}`;
    const rides = [
      { ride_id: 7, PULocationID: 43, DOLocationID: 151, trip_distance: 1.01 },
      { PULocationID: 166, DOLocationID: 239, trip_distance: 2.53 },
    ];
    const body = ZPredictBatchResponse.parse(await (await post({ rides }, { 'idempotency-key': key })).json());
    await history.flush();
    const rows = await rowsFor(key);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ idempotency_key: `${key}:0`, ride_id: '7', pu_location_id: 43, do_location_id: 151, source: 'online', status: 'scored', model_name: 'ride_duration_prediction_model', model_version: 'v1' });
    expect(rows[1]).toMatchObject({ idempotency_key: `${key}:1`, ride_id: null, pu_location_id: 166 });
    expect(rows[0]!.trip_distance).toBeCloseTo(1.01, 5);
    expect(rows[0]!.predicted_duration).toBeCloseTo(body.predictions[0]!.duration, 3);
    expect(rows[0]!.latency_ms).toBeGreaterThan(0);
  });

  it('is idempotent: the same Idempotency-Key retried makes no second row', async () => {
    const key = `retry-${Date.now()}`;
    for (let attempt = 0; attempt < 3; attempt++) {
      expect((await post({ rides: [COURSE, COURSE] }, { 'idempotency-key': key })).status).toBe(200);
      await history.flush();
    }
    expect(await rowsFor(key)).toHaveLength(2);
    const stats = history.stats();
    expect(stats.duplicates).toBeGreaterThanOrEqual(4);
    expect(stats.dropped).toBe(0);
  });

  it('without a key every request is a new row', async () => {
    const before = Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM prediction_history')).rows[0]!.n);
    await Promise.all([post(COURSE), post(COURSE), post(COURSE)]);
    await history.flush();
    const after = Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM prediction_history')).rows[0]!.n);
    expect(after - before).toBe(3);
  });

  it('a NUL byte in ride_id is refused with 400 naming the field, and the next request still reaches the history', async () => {
    const key = `nul-${Date.now()}`;
    const error = await expectError(await post({ rides: [{ ...COURSE, ride_id: 'a\u0000b' }] }, { 'idempotency-key': `${key}-bad` }), 400, 'invalid_request');
    expect(error.issues).toEqual([{ path: 'rides.0.ride_id', message: expect.stringContaining('NUL') as string }]);
    expect((await post({ rides: [{ ...COURSE, ride_id: 'fine' }] }, { 'idempotency-key': key })).status).toBe(200);
    await history.flush();
    expect((await rowsFor(key)).map((row) => row.ride_id)).toEqual(['fine']);
    expect(await rowsFor(`${key}-bad`)).toEqual([]);
  });

  it('a row Postgres refuses never holds back the rows behind it: they are written, it is dead-lettered and counted in /api/health', async () => {
    // A row the edge did not stop (here put straight into the writer: NUL is refused at the edge
    // today, but any other value Postgres refuses would take this path) used to make every
    // flush fail, forever, with /api/health still ok.
    const key = `refused-${Date.now()}`;
    const refusedBefore = history.stats().refused;
    const base = { source: 'online' as const, puLocationId: 10, doLocationId: 50, tripDistance: 4, predictedDuration: 12, modelName: 'm', modelVersion: 'v1', latencyMs: 1, createdAt: new Date() };
    history.enqueue([
      { ...base, idempotencyKey: `${key}:0`, rideId: 'before' },
      { ...base, idempotencyKey: `${key}:1`, rideId: 'bad\u0000id' },
      { ...base, idempotencyKey: `${key}:2`, rideId: 'after' },
    ]);
    expect((await post(COURSE, { 'idempotency-key': `${key}-next` })).status).toBe(200);
    await history.flush();
    expect((await rowsFor(key)).map((row) => row.ride_id)).toEqual(['before', 'after']);
    expect(await rowsFor(`${key}-next`)).toHaveLength(1);
    const letters = await pool.query<{ source: string; reason: string }>('SELECT source, reason FROM dead_letters WHERE sequence_number = $1', [`${key}:1`]);
    expect(letters.rows).toEqual([{ source: 'online', reason: expect.stringMatching(/0x00/) as string }]);
    const health = (await (await fetch(`${server.url}/api/health`)).json()) as { history: { refused: number; buffered: number } };
    expect(health.history.refused).toBe(refusedBefore + 1);
    expect(health.history.buffered).toBe(0);
  });

  it('refuses a malformed Idempotency-Key', async () => {
    const error = await expectError(await post(COURSE, { 'idempotency-key': 'x'.repeat(201) }), 400, 'invalid_request');
    expect(error.issues?.[0]?.path).toBe('headers.idempotency-key');
  });
});

describe('GET /api/v1/openapi.json', () => {
  it('is OpenAPI 3.1 JSON describing POST /api/v1/predict with the ride schema', async () => {
    const res = await fetch(`${server.url}/api/v1/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<string, { post?: { requestBody: unknown; responses: Record<string, unknown> } }>;
      components: { schemas: Record<string, { properties?: Record<string, Record<string, unknown>>; required?: string[] }> };
    };
    expect(doc.openapi).toBe('3.1.0');
    const predict = doc.paths['/api/v1/predict']?.post;
    expect(predict).toBeDefined();
    expect(Object.keys(predict!.responses)).toEqual(expect.arrayContaining(['200', '400', '405', '413', '415']));
    const ride = doc.components.schemas.Ride!;
    expect(ride.required).toEqual(['PULocationID', 'DOLocationID', 'trip_distance']);
    expect(ride.properties!.PULocationID).toMatchObject({ type: 'integer', minimum: 1, maximum: 265 });
    expect(ride.properties!.trip_distance).toMatchObject({ type: 'number', minimum: 0, maximum: 500 });
    // The documented examples are bodies the API accepts.
    const examples = (predict!.requestBody as { content: Record<string, { examples: Record<string, { value: unknown }> }> }).content['application/json']!.examples;
    for (const [name, example] of Object.entries(examples)) {
      expect(ZPredictRequest.safeParse(example.value).success, name).toBe(true);
      expect((await post(example.value)).status, name).toBe(200);
    }
    // Every $ref points at a component that exists.
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(3);
    for (const ref of refs) expect(doc.components.schemas[ref], ref).toBeDefined();
  });
});

describe('GET /api/health', () => {
  it('200 with database, model and history when all is well; stream not configured', async () => {
    const res = await fetch(`${server.url}/api/health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      status: 'ok',
      checks: {
        database: { status: 'ok' },
        model: { status: 'ok', name: 'ride_duration_prediction_model', version: 'v1', loaded: true },
        stream: { status: 'not_configured' },
      },
      history: { dropped: 0 },
    });
  });

  it('reports the Kinesis stream ACTIVE, and degraded (still 200) when the stream is missing', async () => {
    const aws = getTestAws();
    const streamName = await createTestStream({ shardCount: 1 });
    const where = { region: aws.region, endpoint: aws.kinesis.endpoint, credentials: aws.credentials };
    const present = createStreamDescriber({ streamName, ...where });
    const missing = createStreamDescriber({ streamName: `${streamName}-missing`, ...where });
    const base = {
      score: createMicroBatchingScorer(() => current),
      history,
      guard,
      modelName: 'ride_duration_prediction_model',
      health: {
        pingDatabase: async () => void (await pool.query('SELECT 1', [])),
        getModelStatus: () => ({ name: current.name, version: current.version, loaded: true }),
      },
    };
    const withStream = await startServer({ ...base, health: { ...base.health, describeStream: present.describe } });
    const withMissing = await startServer({ ...base, health: { ...base.health, describeStream: missing.describe } });
    try {
      const ok = await fetch(`${withStream.url}/api/health`);
      expect(ok.status).toBe(200);
      expect(await ok.json()).toMatchObject({ status: 'ok', checks: { stream: { status: 'ok', name: streamName, streamStatus: 'ACTIVE' } } });
      const degraded = await fetch(`${withMissing.url}/api/health`);
      expect(degraded.status).toBe(200);
      const body = (await degraded.json()) as { status: string; checks: { stream: { status: string; error: string } } };
      expect(body.status).toBe('degraded');
      expect(body.checks.stream.status).toBe('error');
      expect(body.checks.stream.error).toMatch(/not found|ResourceNotFound/i);
    } finally {
      await Promise.all([withStream.close(), withMissing.close()]);
      present.close();
      missing.close();
    }
  });

  it('503 when the database is unreachable or no model is loaded; predict answers 503 without a model', async () => {
    // A pool pointed at a port nothing listens on: a real connection failure, not a stub.
    const deadPool = createPgPool('postgres://nobody:nothing@127.0.0.1:1/none', { max: 1 });
    const noModel = () => {
      throw new HttpError({ status: 503, code: 'model_unavailable', message: 'No production model is loaded yet' });
    };
    const deadHistory = createHistoryWriter({ insertBatch: createHistoryInserter(deadPool), log: () => {} });
    const down = await startServer({
      score: createMicroBatchingScorer(noModel),
      history: deadHistory,
      guard,
      modelName: 'ride_duration_prediction_model',
      health: {
        pingDatabase: async () => void (await deadPool.query('SELECT 1', [])),
        getModelStatus: () => ({ name: 'ride_duration_prediction_model', version: null, loaded: false, error: 'none in production' }),
      },
    });
    try {
      const res = await fetch(`${down.url}/api/health`);
      expect(res.status).toBe(503);
      const body = (await res.json()) as { status: string; checks: { database: { status: string; error: string }; model: { status: string; loaded: boolean } } };
      expect(body.status).toBe('down');
      expect(body.checks.database.status).toBe('error');
      expect(body.checks.database.error).toMatch(/ECONNREFUSED|connect/);
      expect(body.checks.model).toMatchObject({ status: 'error', loaded: false });
      const predict = await fetch(`${down.url}/api/v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: JSON.stringify(COURSE) });
      await expectError(predict, 503, 'model_unavailable');
    } finally {
      await down.close();
      await deadHistory.close({ timeoutMs: 0 });
      await deadPool.end();
    }
  });
});

describe('API keys and the per-key rate limit', () => {
  it('401 naming the problem: no key, a malformed header, an unknown key', async () => {
    const missing = await fetch(`${server.url}/api/v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(COURSE) });
    expect((await expectError(missing, 401, 'unauthorized')).message).toMatch(/Missing API key.*Authorization: Bearer/);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(missing.headers.get('x-content-type-options')).toBe('nosniff');
    expect(missing.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
    expect(missing.headers.get('referrer-policy')).toBe('no-referrer');
    expect((await expectError(await post(COURSE, { authorization: `Basic ${apiKey}` }), 401, 'unauthorized')).message).toMatch(/Malformed/);
    expect((await expectError(await post(COURSE, { authorization: `Bearer ${apiKey}x` }), 401, 'unauthorized')).message).toBe('Invalid API key');
    // The 401 comes before the body is looked at: an invalid body without a key is still a 401.
    await expectError(await post('{', { authorization: '' }), 401, 'unauthorized');
  });

  it('a revoked key fails at once (the revocation is announced in-process) and within the cache TTL elsewhere', async () => {
    const { key, apiKey: row } = await createApiKey(prisma, { name: 'to revoke', createdBy: 'test' });
    // A second guard stands for another process: it does not hear this process's announcement.
    const otherProcess = await startServer({ score: createMicroBatchingScorer(() => current), history, guard: createGuard({ cacheTtlMs: 300 }), modelName: 'm', health: { pingDatabase: async () => {}, getModelStatus: () => ({ name: 'm', version: 'v1', loaded: true }) } });
    const postTo = (url: string) => fetch(`${url}/api/v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify(COURSE) });
    try {
      expect((await post(COURSE, { authorization: `Bearer ${key}` })).status).toBe(200);
      expect((await postTo(otherProcess.url)).status).toBe(200);
      await revokeApiKey(prisma, { id: row.id, actor: 'test' });
      const { announceApiKeyRevoked } = await import('../server/api-key-revocations');
      announceApiKeyRevoked(row.id);
      const revoked = await expectError(await post(COURSE, { authorization: `Bearer ${key}` }), 401, 'unauthorized');
      expect(revoked.message).toMatch(/was revoked/);
      await new Promise((resolve) => setTimeout(resolve, 350));
      await expectError(await postTo(otherProcess.url), 401, 'unauthorized');
    } finally {
      await otherProcess.close();
    }
  });

  it('429 with Retry-After once a key has used its burst; records last use in batches', async () => {
    const { key, apiKey: row } = await createApiKey(prisma, { name: 'limited', createdBy: 'test' });
    const limitedGuard = createGuard({ rateLimit: { perSecond: 0.5, burst: 2 }, usageFlushIntervalMs: 20 });
    const limited = await startServer({ score: createMicroBatchingScorer(() => current), history, guard: limitedGuard, modelName: 'm', health: { pingDatabase: async () => {}, getModelStatus: () => ({ name: 'm', version: 'v1', loaded: true }) } });
    const send = () => fetch(`${limited.url}/api/v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify(COURSE) });
    try {
      expect((await send()).status).toBe(200);
      expect((await send()).status).toBe(200);
      const third = await send();
      const error = await expectError(third, 429, 'rate_limited');
      expect(error.message).toMatch(/0.5 requests\/s/);
      // One token at 0.5/s takes 2 s to refill.
      expect(third.headers.get('retry-after')).toBe('2');
      // Another key has its own bucket.
      const other = await fetch(`${limited.url}/api/v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: JSON.stringify(COURSE) });
      expect(other.status).toBe(200);
      await expect.poll(async () => (await pool.query<{ last_used_at: Date | null }>('SELECT last_used_at FROM api_keys WHERE id = $1', [row.id])).rows[0]?.last_used_at, { timeout: 2000 }).toBeInstanceOf(Date);
    } finally {
      await limited.close();
      await limitedGuard.close();
    }
  });

  it('database stall: a key seen valid keeps working for the grace period, a revocation seen still applies, any other key gets 503 + Retry-After at once', async () => {
    // The stall: another session holds ACCESS EXCLUSIVE on api_keys, so every key lookup waits
    // on the lock exactly as it would on a frozen server (SIGSTOP of Postgres would also freeze
    // the other suites sharing the test server). The guard has a pool of its own so the waiting
    // lookups cannot starve anything else in this file.
    const guardPool = createPgPool(db.url, { max: 4 });
    const stallGuard = createGuard({ findKey: (keyHash) => findApiKeyByHash(guardPool, keyHash), recordUsed: async () => {}, cacheTtlMs: 100, lookupTimeoutMs: 300, staleGraceMs: 2_500, unavailableRetryMs: 400, log: () => {} });
    const stalled = await startServer({ score: createMicroBatchingScorer(() => current), history, guard: stallGuard, modelName: 'm', health: { pingDatabase: async () => {}, getModelStatus: () => ({ name: 'm', version: 'v1', loaded: true }) } });
    const [known, revoked, unseen] = await Promise.all(['known', 'revoked', 'unseen'].map((name) => createApiKey(prisma, { name, createdBy: 'test' })));
    const send = async (key: string) => {
      const startedAt = performance.now();
      const res = await fetch(`${stalled.url}/api/v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify(COURSE), signal: AbortSignal.timeout(3_000) });
      await res.arrayBuffer();
      return { status: res.status, retryAfter: res.headers.get('retry-after'), ms: performance.now() - startedAt };
    };
    const locker = new pg.Client({ connectionString: db.url });
    await locker.connect();
    try {
      expect((await send(known!.key)).status).toBe(200);
      expect((await send(revoked!.key)).status).toBe(200);
      await revokeApiKey(prisma, { id: revoked!.apiKey.id, actor: 'test' }); // from "another process": not announced here
      await sleep(150);
      expect((await send(revoked!.key)).status).toBe(401); // the guard has now seen the revocation

      await locker.query('BEGIN');
      await locker.query('LOCK TABLE api_keys IN ACCESS EXCLUSIVE MODE');
      await sleep(150); // every cache entry is past its TTL: each key needs the database
      const during = [];
      for (let i = 0; i < 8; i++) {
        during.push(await send(known!.key));
        await sleep(100);
      }
      expect(during.map((r) => r.status)).toEqual(Array(8).fill(200));
      expect(Math.max(...during.map((r) => r.ms))).toBeLessThan(1_000);
      expect((await send(revoked!.key)).status).toBe(401);
      const unknown = await send(unseen!.key);
      expect(unknown).toMatchObject({ status: 503, retryAfter: expect.stringMatching(/^[1-9]\d*$/) as string });
      expect(unknown.ms).toBeLessThan(1_000);
      // The grace period is bounded: past it, even a known key is not served on trust.
      await sleep(2_000);
      expect((await send(known!.key)).status).toBe(503);
    } finally {
      await locker.query('ROLLBACK').catch(() => {});
      await locker.end();
    }
    try {
      // The database answers again: every key works once the short unavailable window has passed.
      await expect.poll(async () => (await send(unseen!.key)).status, { timeout: 5_000, interval: 200 }).toBe(200);
      expect((await send(known!.key)).status).toBe(200);
      expect((await send(revoked!.key)).status).toBe(401);
    } finally {
      await stalled.close();
      await stallGuard.close();
      await guardPool.end();
    }
  });

  it('PREDICT_API_ALLOW_ANONYMOUS: no header is served, but a wrong key is still refused', async () => {
    const anonymousGuard = createGuard({ allowAnonymous: true });
    const open = await startServer({ score: createMicroBatchingScorer(() => current), history, guard: anonymousGuard, modelName: 'm', health: { pingDatabase: async () => {}, getModelStatus: () => ({ name: 'm', version: 'v1', loaded: true }) } });
    try {
      const res = await fetch(`${open.url}/api/v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(COURSE) });
      expect(res.status).toBe(200);
      const wrong = await fetch(`${open.url}/api/v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer nope' }, body: JSON.stringify(COURSE) });
      await expectError(wrong, 401, 'unauthorized');
    } finally {
      await open.close();
      await anonymousGuard.close();
    }
  });
});
