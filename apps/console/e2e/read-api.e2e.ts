/**
 * Reading predictions from another application, end to end in the real console (server.ts + Next
 * build, Chromium): an admin creates a read-only key on the API keys page, a service uses it to
 * read a finished run over REST (and is refused predict), and an analyst sees the run's
 * run-finished notifications on the run page. Pages checked at 1280 and 1440 px for horizontal
 * overflow; screenshots in e2e/screenshots/ (gitignored).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replaceRunPredictions } from '@tripcast/db/batch-predictions';
import { createDbClient, createPgPool, type TDb } from '@tripcast/db/client';
import { completeRun } from '@tripcast/db/queries/runs';
import { createWebhookDelivery, recordWebhookDeliveryAttempt } from '@tripcast/db/queries/webhook-deliveries';
import { createMigratedTestDatabase, createTestRun, startTestRun, type TTestDatabase } from '@tripcast/db/testing';
import { buildConsoleIfStale, CONSOLE_DIR, startConsole, type TRunningConsole } from './support/console-server';
import { createE2eUsers, E2E_USERS, signIn } from './support/users';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SCREENSHOTS = path.join(CONSOLE_DIR, 'e2e', 'screenshots');
const log = (line: string) => console.log(`[e2e read-api] ${line}`);

describe.skipIf(!fs.existsSync(CHROMIUM))('reading predictions from another application', () => {
  let database: TTestDatabase;
  let db: TDb;
  let home: string;
  let app: TRunningConsole;
  let browser: Browser;
  let page: Page;
  let runId: string;
  let readKey: string;

  /** Screenshot at 1280 and 1440 px, each without horizontal scrolling. */
  const shots = async (name: string) => {
    for (const width of [1280, 1440]) {
      await page.setViewportSize({ width, height: 900 });
      await page.screenshot({ path: path.join(SCREENSHOTS, `read-api-${name}-${width}.png`), fullPage: true });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, `${name} is wider than ${width} px`).toBeLessThanOrEqual(0);
      const scrolling = await page.evaluate(() =>
        [...document.querySelectorAll('[data-table-scroll]')]
          .filter((el) => el.scrollWidth > el.clientWidth)
          .map((el) => `${el.closest('section, [data-testid]')?.getAttribute('data-testid') ?? 'table'} ${el.scrollWidth}>${el.clientWidth}`),
      );
      expect(scrolling, `${name}: tables that scroll sideways at ${width} px`).toEqual([]);
    }
  };

  beforeAll(async () => {
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'tripcast-e2e-read-'));
    database = await createMigratedTestDatabase();
    db = createDbClient(database.url);
    await createE2eUsers(db);
    // A finished run with its predictions, and the notifications the scorer recorded for it.
    const pool = createPgPool(database.url, { max: 1 });
    const inputUri = 'trip-data/green_tripdata_2021-01.parquet';
    const run = await createTestRun(pool, { taxiType: 'green', year: 2021, month: 1, inputUri, trigger: 'schedule' });
    runId = run.id;
    await startTestRun(pool, { id: run.id, modelName: 'ride_duration_prediction_model', modelVersion: 'e2e-v1', inputUri, outputUri: path.join(home, 'store', 'predictions', `${run.id}.parquet`) });
    const n = 30;
    await replaceRunPredictions({
      pool,
      runKey: run.key,
      rows: [
        {
          rowIndex: Int32Array.from({ length: n }, (_, i) => i),
          rideId: Array.from({ length: n }, (_, i) => `2021/01_${i}`),
          pickupMs: Float64Array.from({ length: n }, (_, i) => Date.UTC(2021, 0, 4, 9, i)),
          pu: new Int16Array(n).fill(74),
          do: new Int16Array(n).fill(75),
          actual: new Float32Array(n).fill(9),
          predicted: new Float32Array(n).fill(8.5),
        },
      ],
    });
    await completeRun(pool, run.id, { progress: 1, rowsRead: 0, rowsScored: 0, rowsRejected: 0, summary: null });
    const webhook = await createWebhookDelivery(pool, { runId: run.id, target: 'webhook', destination: 'https://reporting.example.com/hooks/tripcast-run-finished', payload: {} });
    await recordWebhookDeliveryAttempt(pool, { id: webhook.id, status: 'pending', statusCode: 503, error: 'HTTP 503: upstream unavailable' });
    await recordWebhookDeliveryAttempt(pool, { id: webhook.id, status: 'delivered', statusCode: 200 });
    const bus = await createWebhookDelivery(pool, { runId: run.id, target: 'eventbridge', destination: 'tripcast-prod-events', payload: {} });
    await recordWebhookDeliveryAttempt(pool, { id: bus.id, status: 'failed', error: 'AccessDeniedException: not authorized to perform events:PutEvents on resource arn:aws:events:us-east-1:123456789012:event-bus/tripcast-prod-events' });
    await pool.end();

    buildConsoleIfStale(log);
    app = await startConsole({ DATABASE_URL: database.url, TRIPCAST_HOME: home, OBJECT_STORE_URI: path.join(home, 'store') });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 }, baseURL: app.url });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await db?.$disconnect();
    await database?.drop();
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  it('an admin creates a read-only key on the API keys page', async () => {
    await signIn(page, E2E_USERS.admin);
    await page.goto('/api-keys');
    await page.getByLabel(/^Name/).fill('reporting service');
    // Default: predict only (what keys were before scopes). Choose read instead.
    expect(await page.getByRole('checkbox', { name: /^predict/ }).isChecked()).toBe(true);
    await page.getByRole('checkbox', { name: /^predict/ }).uncheck();
    await page.getByRole('checkbox', { name: /^read/ }).check();
    await page.getByRole('button', { name: 'Create key' }).click();
    readKey = (await page.getByTestId('new-api-key-value').textContent())!.trim();
    expect(readKey).toMatch(/^tc_/);
    const row = page.getByTestId('api-keys').locator('tr', { hasText: 'reporting service' });
    expect(await row.textContent()).toContain('read');
    expect(await row.textContent()).not.toContain('predict');
    await shots('api-keys');
  });

  it('a service reads the finished run with that key, and may not predict with it', async () => {
    const auth = { authorization: `Bearer ${readKey}` };
    const runs = (await (await fetch(`${app.url}/api/v1/runs?month=2021-01&status=succeeded`, { headers: auth })).json()) as { runs: { run_id: string; model_version: string }[] };
    expect(runs.runs).toMatchObject([{ run_id: runId, model_version: 'e2e-v1' }]);
    const csv = await fetch(`${app.url}/api/v1/runs/${runId}/predictions?limit=2&format=csv`, { headers: auth });
    expect(csv.headers.get('x-next-after')).toBe('1');
    expect((await csv.text()).split('\n')[1]).toBe('0,2021/01_0,2021-01-04T09:00:00,74,75,9,8.5,0.5,e2e-v1');
    const predict = await fetch(`${app.url}/api/v1/predict`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ PULocationID: 10, DOLocationID: 50, trip_distance: 4 }),
    });
    expect(predict.status).toBe(403);
  });

  it("an analyst sees the run's notifications: delivered after a retry, and one that failed with its error", async () => {
    await page.context().clearCookies();
    await signIn(page, E2E_USERS.analyst);
    await page.goto(`/runs/${runId}`);
    const card = page.getByTestId('run-deliveries');
    await card.getByText('tripcast-prod-events', { exact: true }).waitFor();
    const text = (await card.textContent())!;
    expect(text).toContain('https://reporting.example.com/hooks/tripcast-run-finished');
    expect(text).toContain('delivered');
    expect(text).toContain('AccessDeniedException');
    await shots('run-deliveries');
  });

  it('a viewer does not see them (the server refuses them too)', async () => {
    await page.context().clearCookies();
    await signIn(page, E2E_USERS.viewer);
    await page.goto(`/runs/${runId}`);
    await page.getByText('Locations').waitFor();
    expect(await page.getByTestId('run-deliveries').count()).toBe(0);
  });
});
