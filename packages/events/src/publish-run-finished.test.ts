// Run-finished events end to end: a real local HTTP server receives the webhook and checks its
// signature as a downstream application would; deliveries are recorded in a real migrated
// Postgres (local-stack harness). EventBridge is in eventbridge.test.ts (moto_server).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPgPool } from '@tripcast/db/client';
import { createMigratedTestDatabase } from '@tripcast/db/testing';
import type { TTestDatabase } from '@tripcast/db/testing';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishRunFinished } from './publish-run-finished';
import {
  DELIVERY_HEADER,
  RUN_EVENT_SOURCE,
  RUN_FINISHED_DETAIL_TYPE,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  signWebhookBody,
  verifyWebhookSignature,
} from './run-finished';
import type { TRunFinishedDetail } from './run-finished';

const SECRET = 'test-secret-of-some-length';
const DETAIL: TRunFinishedDetail = {
  runId: 'green-2021-01-x',
  taxiType: 'green',
  year: 2021,
  month: 1,
  status: 'succeeded',
  rowsRead: 76_518,
  rowsScored: 73_908,
  rowsRejected: 2_610,
  modelName: 'ride_duration_prediction_model',
  modelVersion: 'v7',
  outputUri: 's3://bucket/predictions/taxi_type=green/year=2021/month=01/green-2021-01-x.parquet',
  rejectsUri: 's3://bucket/rejects/green-2021-01-x.parquet',
  error: null,
  finishedAt: '2026-12-04T14:00:00.000Z',
};

type TReceived = { headers: http.IncomingHttpHeaders; body: string; verdict: string | null };

/** A downstream application: verifies each delivery and answers with the next planned status. */
async function startReceiver(statuses: number[]) {
  const received: TReceived[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const verdict = verifyWebhookSignature({
        secret: SECRET,
        body,
        signature: req.headers[SIGNATURE_HEADER] as string | undefined,
        timestamp: req.headers[TIMESTAMP_HEADER] as string | undefined,
      });
      received.push({ headers: req.headers, body, verdict });
      res.writeHead(verdict ? 401 : (statuses[received.length - 1] ?? 200)).end(verdict ?? 'ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/tripcast`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let database: TTestDatabase;
let pool: pg.Pool;
const logs: string[] = [];
const log = (level: string, message: string) => void logs.push(`${level} ${message}`);
const waits: number[] = [];
const sleep = (ms: number) => {
  waits.push(ms);
  return Promise.resolve();
};

async function deliveries(runId: string) {
  const { rows } = await pool.query<{ target: string; destination: string; status: string; attempts: number; last_status_code: number | null; last_error: string | null; delivered: boolean; payload: unknown }>(
    'SELECT target, destination, status, attempts, last_status_code, last_error, delivered_at IS NOT NULL AS delivered, payload FROM webhook_deliveries WHERE run_id = $1',
    [runId],
  );
  return rows;
}

beforeAll(async () => {
  database = await createMigratedTestDatabase();
  pool = createPgPool(database.url, { max: 2 });
});
afterAll(async () => {
  await pool?.end();
  await database?.drop();
});

describe('signed webhook', () => {
  it('is received with a valid signature over timestamp and raw body, retried after a 500, and recorded', async () => {
    const receiver = await startReceiver([500, 200]);
    try {
      waits.length = 0;
      const outcome = await publishRunFinished({ webhook: { url: receiver.url, secret: SECRET, baseDelayMs: 1000 }, sql: pool, log, sleep }, DETAIL);
      expect(outcome).toEqual([{ target: 'webhook', isDelivered: true, attempts: 2 }]);
      expect(receiver.received).toHaveLength(2);
      for (const delivery of receiver.received) {
        expect(delivery.verdict).toBeNull();
        expect(delivery.headers['content-type']).toBe('application/json');
        expect(delivery.headers[SIGNATURE_HEADER]).toMatch(/^sha256=[0-9a-f]{64}$/);
      }
      // The same delivery id on both attempts (the receiver can de-duplicate on it).
      expect(receiver.received[0]!.headers[DELIVERY_HEADER]).toBe(receiver.received[1]!.headers[DELIVERY_HEADER]);
      expect(JSON.parse(receiver.received[1]!.body)).toEqual({
        source: RUN_EVENT_SOURCE,
        'detail-type': RUN_FINISHED_DETAIL_TYPE,
        time: DETAIL.finishedAt,
        detail: DETAIL,
      });
      expect(waits).toEqual([1000]);
      expect(await deliveries(DETAIL.runId)).toEqual([
        {
          target: 'webhook',
          destination: receiver.url,
          status: 'delivered',
          attempts: 2,
          last_status_code: 200,
          last_error: null,
          delivered: true,
          payload: JSON.parse(receiver.received[1]!.body) as unknown,
        },
      ]);
    } finally {
      await receiver.close();
    }
  });

  it('backs off exponentially and gives up on an endpoint that is down, without throwing; the attempts are recorded', async () => {
    const receiver = await startReceiver([]);
    await receiver.close(); // nothing listens there any more
    waits.length = 0;
    logs.length = 0;
    const detail = { ...DETAIL, runId: 'green-2021-02-down', status: 'failed' as const, error: 'input month not found' };
    const outcome = await publishRunFinished({ webhook: { url: receiver.url, secret: SECRET, maxAttempts: 4, baseDelayMs: 500 }, sql: pool, log, sleep }, detail);
    expect(outcome).toMatchObject([{ target: 'webhook', isDelivered: false, attempts: 4 }]);
    expect(waits).toEqual([500, 1000, 2000]);
    const [row] = await deliveries(detail.runId);
    expect(row).toMatchObject({ status: 'failed', attempts: 4, last_status_code: null, delivered: false });
    expect(row!.last_error).toMatch(/ECONNREFUSED|fetch failed/);
    expect(logs.at(-1)).toMatch(/giving up \(the run itself is unaffected\)/);
  });

  it('does not retry a permanent refusal (4xx other than 408/429)', async () => {
    const receiver = await startReceiver([410]);
    try {
      const detail = { ...DETAIL, runId: 'green-2021-03-gone' };
      const outcome = await publishRunFinished({ webhook: { url: receiver.url, secret: SECRET }, sql: pool, log, sleep }, detail);
      expect(outcome).toMatchObject([{ isDelivered: false, attempts: 1, error: 'HTTP 410: ok' }]);
      expect(await deliveries(detail.runId)).toMatchObject([{ status: 'failed', attempts: 1, last_status_code: 410 }]);
    } finally {
      await receiver.close();
    }
  });

  it('still delivers when the database cannot record it (the delivery is logged instead)', async () => {
    const receiver = await startReceiver([200]);
    const brokenSql = { query: () => Promise.reject(new Error('database is down')) } as unknown as pg.Pool;
    logs.length = 0;
    try {
      const outcome = await publishRunFinished({ webhook: { url: receiver.url, secret: SECRET }, sql: brokenSql, log, sleep }, DETAIL);
      expect(outcome).toEqual([{ target: 'webhook', isDelivered: true, attempts: 1 }]);
      expect(receiver.received[0]!.verdict).toBeNull();
      expect(logs).toContain('warn could not record the run event delivery');
    } finally {
      await receiver.close();
    }
  });
});

describe('verifyWebhookSignature (the receiver side)', () => {
  const body = JSON.stringify({ detail: DETAIL });
  const now = 1_800_000_000;
  const signature = signWebhookBody({ secret: SECRET, timestamp: now, body });

  it('accepts the signed body and refuses a changed body, timestamp, secret, or an old delivery replayed', () => {
    expect(verifyWebhookSignature({ secret: SECRET, body, signature, timestamp: String(now), nowSeconds: now + 10 })).toBeNull();
    expect(verifyWebhookSignature({ secret: SECRET, body: body.replace('73908', '73909'), signature, timestamp: String(now), nowSeconds: now })).toBe('signature does not match');
    expect(verifyWebhookSignature({ secret: SECRET, body, signature, timestamp: String(now + 1), nowSeconds: now })).toBe('signature does not match');
    expect(verifyWebhookSignature({ secret: 'another-secret', body, signature, timestamp: String(now), nowSeconds: now })).toBe('signature does not match');
    expect(verifyWebhookSignature({ secret: SECRET, body, signature, timestamp: String(now), nowSeconds: now + 3600 })).toMatch(/replay/);
    expect(verifyWebhookSignature({ secret: SECRET, body, signature: undefined, timestamp: String(now) })).toMatch(/missing/);
  });
});
