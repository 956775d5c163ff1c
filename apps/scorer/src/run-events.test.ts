// Run-finished events from the real scorer CLI: a local HTTP server plays the downstream
// application, verifies each webhook's signature, and answers 500 once to force a retry. Real
// Postgres (migrated) records the run and the deliveries; real onnxruntime and Parquet score.
import http from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { useMigratedTestDatabase } from '@tripcast/db/testing';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyWebhookSignature } from '@tripcast/events';
import type { TRunFinishedEnvelope } from '@tripcast/events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { cliEnv, runCli } from './testing/cli-harness';
import { expectedCounts, TEST_MODEL, writeTestModel, writeTestMonth } from './testing/fixtures';
import { getRunRecord } from '@tripcast/db/queries/runs';

const SECRET = 'scorer-test-webhook-secret';
const ROWS = 500;
const suite = useMigratedTestDatabase();
let dir: string;
let monthFile: string;
let baseEnv: NodeJS.ProcessEnv;
const received: { body: string; verdict: string | null }[] = [];
/** Status to answer for each delivery, in order; 200 once they run out. */
let plannedStatuses: number[] = [];
let server: http.Server;
let webhookUrl: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tripcast-scorer-events-'));
  const modelDir = await writeTestModel(path.join(dir, 'model'));
  monthFile = path.join(dir, 'data', 'green_tripdata_2021-02.parquet');
  await writeTestMonth({ file: monthFile, rows: ROWS, year: 2021, month: 2 });
  server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const verdict = verifyWebhookSignature({
        secret: SECRET,
        body,
        signature: req.headers[SIGNATURE_HEADER] as string | undefined,
        timestamp: req.headers[TIMESTAMP_HEADER] as string | undefined,
      });
      received.push({ body, verdict });
      res.writeHead(verdict ? 401 : (plannedStatuses.shift() ?? 200)).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  webhookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tripcast`;
  baseEnv = cliEnv({
    DATABASE_URL: suite.url,
    OBJECT_STORE_URI: path.join(dir, 'store'),
    MODEL_LOCATION: modelDir,
    RUN_WEBHOOK_URL: webhookUrl,
    RUN_WEBHOOK_SECRET: SECRET,
    RUN_WEBHOOK_RETRY_BASE_MS: '50',
  });
});

afterAll(async () => {
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  if (dir) await rm(dir, { recursive: true, force: true });
});

const runArgs = (runId: string, input: string) => ['run', '--taxi-type', 'green', '--year', '2021', '--month', '2', '--input', input, '--run-id', runId];

describe('scorer run-finished webhook', () => {
  it('a succeeded run is announced with a signed body carrying its counts, model version and output, after a retry', async () => {
    received.length = 0;
    plannedStatuses = [500];
    const out = await runCli(runArgs('events-ok', monthFile), baseEnv);
    expect(out.code, out.stderr).toBe(0);
    expect(received).toHaveLength(2);
    expect(received.map((delivery) => delivery.verdict)).toEqual([null, null]);
    const event = JSON.parse(received[1]!.body) as TRunFinishedEnvelope;
    const record = (await getRunRecord(suite.pool, 'events-ok'))!;
    const counts = expectedCounts(ROWS, { policy: 'course' });
    expect(event).toMatchObject({
      source: 'tripcast.scorer',
      'detail-type': 'Batch run finished',
      detail: {
        runId: 'events-ok',
        taxiType: 'green',
        year: 2021,
        month: 2,
        status: 'succeeded',
        rowsRead: ROWS,
        rowsScored: counts.scored,
        rowsRejected: counts.rejected,
        modelVersion: TEST_MODEL.version,
        outputUri: record.outputUri,
        error: null,
      },
    });
    const { rows } = await suite.pool.query('SELECT target, status, attempts, last_status_code FROM webhook_deliveries WHERE run_id = $1', ['events-ok']);
    expect(rows).toEqual([{ target: 'webhook', status: 'delivered', attempts: 2, last_status_code: 200 }]);
  });

  it('a failed run is announced too, with its error', async () => {
    received.length = 0;
    // An unreadable file fails the run (a missing one is refused before the run exists).
    const garbage = path.join(dir, 'garbage.parquet');
    await writeFile(garbage, 'not parquet');
    const out = await runCli(runArgs('events-failed', garbage), baseEnv);
    expect(out.code).toBe(1);
    expect(received).toHaveLength(1);
    const event = JSON.parse(received[0]!.body) as TRunFinishedEnvelope;
    expect(event.detail).toMatchObject({ runId: 'events-failed', status: 'failed', outputUri: null });
    expect(event.detail.error).toMatch(/not a readable Parquet file/);
  });

  it('an endpoint that is down does not fail the run: the run succeeds and the failed delivery is recorded', async () => {
    const out = await runCli(runArgs('events-down', monthFile), {
      ...baseEnv,
      RUN_WEBHOOK_URL: 'http://127.0.0.1:9/unreachable',
      RUN_WEBHOOK_MAX_ATTEMPTS: '2',
    });
    expect(out.code, out.stderr).toBe(0);
    expect((await getRunRecord(suite.pool, 'events-down'))!.status).toBe('succeeded');
    const { rows } = await suite.pool.query<{ status: string; attempts: number; last_error: string }>(
      'SELECT status, attempts, last_error FROM webhook_deliveries WHERE run_id = $1',
      ['events-down'],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'failed', attempts: 2 });
    expect(rows[0]!.last_error).toMatch(/ECONNREFUSED|fetch failed/);
  });

  it('refuses a webhook URL without its secret, naming the variable', async () => {
    const out = await runCli(runArgs('events-nosecret', monthFile), { ...baseEnv, RUN_WEBHOOK_SECRET: '' });
    expect(out.code).not.toBe(0);
    expect(out.stderr).toMatch(/RUN_WEBHOOK_SECRET/);
  });
});
