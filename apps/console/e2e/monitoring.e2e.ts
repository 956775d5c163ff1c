/**
 * Model monitoring end to end: a model trained on the shared green 2021-01 month is in production,
 * the shared months are backfilled by the real scorer (each run records its error by model and its
 * drift), and in Chromium the Monitoring page charts RMSE/MAE by month and drift over time, drills
 * into one run's distributions, the banner shows the open alert until an analyst acknowledges it
 * (audited), and the Overview states the model's health with the reason. Pages at 1280 and 1440 px
 * (no horizontal overflow); screenshots in e2e/screenshots/ (gitignored).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDbClient, createPgPool, type TDb } from '@tripcast/db/client';
import type pg from 'pg';
import { listAuditLog } from '@tripcast/db/queries/audit';
import { listModelDrift } from '@tripcast/db/queries/drift';
import { insertHistoryBatch } from '@tripcast/db/queries/history';
import { createMigratedTestDatabase, type TTestDatabase } from '@tripcast/db/testing';
import { promoteModel, registerModel } from '@tripcast/model/store';
import { trainModel } from '@tripcast/model/training';
import {
  buildConsoleIfStale,
  CONSOLE_DIR,
  startConsole,
  type TRunningConsole,
} from './support/console-server';
import { createE2eUsers, E2E_USERS, signIn } from './support/users';

const MODEL_NAME = 'ride_duration_prediction_model';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const SCREENSHOTS = path.join(CONSOLE_DIR, 'e2e', 'screenshots');
const SHARED_DATA =
  process.env.TRIPCAST_SHARED_DATA ?? path.resolve(CONSOLE_DIR, '../../../shared/data');
const MONTHS = ['2021-01', '2021-03', '2023-03', '2024-01'] as const;
const fileOf = (month: string) => path.join(SHARED_DATA, `green_tripdata_${month}.parquet`);
const hasData = MONTHS.every((m) => fs.existsSync(fileOf(m)));
const SCORER_BIN = path.resolve(CONSOLE_DIR, '../scorer/bin/scorer.js');
const log = (line: string) => console.log(`[e2e monitoring] ${line}`);

/** The real scorer CLI, as a user backfilling would run it. */
function runScorer(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SCORER_BIN, ...args], {
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

describe.skipIf(!fs.existsSync(CHROMIUM) || !hasData)('model monitoring in the console', () => {
  let database: TTestDatabase;
  let db: TDb;
  let pool: pg.Pool;
  let home: string;
  let app: TRunningConsole;
  let browser: Browser;
  let page: Page;

  /** Screenshot at 1280 and 1440 px, each without horizontal scrolling of the page or a table. */
  const shots = async (name: string) => {
    for (const width of [1280, 1440]) {
      await page.setViewportSize({ width, height: 900 });
      // No chart tooltip left under the pointer from the last click: it is placed for the old width.
      await page.mouse.move(0, 0);
      // Charts (ResponsiveContainer) re-measure after a resize: a layout that fits settles within
      // a few frames; one that does not stays too wide, and the elements sticking out are named.
      const overflow = () =>
        page.evaluate(() => {
          const extra = document.documentElement.scrollWidth - window.innerWidth;
          if (extra <= 0) return '';
          const wide = [...document.querySelectorAll('body *')]
            .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
            .slice(-3)
            .map(
              (el) =>
                `${el.tagName.toLowerCase()}.${String(el.getAttribute('class')).slice(0, 60)}`,
            );
          return `${extra} px too wide: ${wide.join(' | ')}`;
        });
      await expect.poll(overflow, { message: `${name} at ${width} px`, timeout: 5_000 }).toBe('');
      await page.screenshot({
        path: path.join(SCREENSHOTS, `monitoring-${name}-${width}.png`),
        fullPage: true,
      });
      const scrolling = await page.evaluate(
        () =>
          [...document.querySelectorAll('[data-table-scroll]')].filter(
            (el) => el.scrollWidth > el.clientWidth + 1,
          ).length,
      );
      expect(scrolling, `${name}: tables that scroll sideways at ${width} px`).toBe(0);
    }
  };

  beforeAll(async () => {
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'tripcast-e2e-monitoring-'));
    const store = path.join(home, 'store');
    database = await createMigratedTestDatabase();
    db = createDbClient(database.url);
    pool = createPgPool(database.url);
    await createE2eUsers(db);
    const trained = await trainModel({
      recipe: 'course',
      trainFiles: [fileOf('2021-01')],
      validationFile: fileOf('2021-03'),
      version: 'green-2021-01',
    });
    await registerModel({
      db,
      storeUri: store,
      onnx: trained.onnx,
      card: trained.card,
      actor: 'e2e',
    });
    await promoteModel(db, { name: MODEL_NAME, version: trained.card.version, actor: 'e2e' });

    // The backfill of the shared months (not contiguous, so one run each, as `scorer backfill` would).
    const env = {
      DATABASE_URL: database.url,
      OBJECT_STORE_URI: store,
      TRIPCAST_HOME: home,
      MODEL_NAME,
    };
    for (const month of MONTHS) {
      const [year, mm] = month.split('-');
      const started = Date.now();
      const result = await runScorer(
        [
          'run',
          '--year',
          year!,
          '--month',
          String(Number(mm)),
          '--input',
          fileOf(month),
          '--trigger',
          'backfill',
        ],
        env,
      );
      expect(result.code, result.stderr).toBe(0);
      log(`scored ${month} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
    expect((await listModelDrift(db, { modelName: MODEL_NAME })).map((d) => d.status)).toEqual([
      'ok',
      'watch',
      'alert',
      'alert',
    ]);
    // Yesterday's online predictions, measured by the daily drift job's CLI.
    const yesterday = new Date(Date.now() - 86_400_000);
    await insertHistoryBatch(
      pool,
      Array.from({ length: 900 }, (_, i) => ({
        source: 'online' as const,
        idempotencyKey: `e2e-${i}`,
        puLocationId: [74, 75, 41, 42][i % 4]!,
        doLocationId: [75, 74, 42, 41, 236][i % 5]!,
        tripDistance: 0.4 + (i % 30) / 10,
        predictedDuration: 6 + (i % 15),
        modelName: MODEL_NAME,
        modelVersion: trained.card.version,
        createdAt: yesterday,
      })),
    );
    const drift = await runScorer(['drift'], env);
    expect(drift.code, drift.stderr).toBe(0);

    buildConsoleIfStale(log);
    const zones = path.join(SHARED_DATA, 'taxi_zone_lookup.csv');
    app = await startConsole({
      ...(fs.existsSync(zones) ? { ZONE_LOOKUP_PATH: zones } : {}),
      DATABASE_URL: database.url,
      TRIPCAST_HOME: home,
      OBJECT_STORE_URI: store,
      MODEL_NAME,
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 }, baseURL: app.url });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await pool?.end();
    await db?.$disconnect();
    await database?.drop();
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  it('charts error by month and drift over time, and overlays one run with the training reference', async () => {
    await signIn(page, E2E_USERS.viewer);
    await page.getByRole('link', { name: 'Monitoring' }).click();
    await page.waitForURL(/\/monitoring$/);
    const errorChart = page.getByTestId('error-by-month-chart');
    await errorChart.waitFor();
    // One RMSE and one MAE line through the four scored months, and the validation RMSE line.
    expect(await errorChart.locator('.recharts-line').count()).toBe(2);
    for (const month of MONTHS)
      await expect
        .poll(() => errorChart.getByText(month, { exact: true }).count(), { message: month })
        .toBe(1);
    await expect.poll(() => errorChart.getByText(/^validation RMSE \d+\.\d\d$/).count()).toBe(1);
    const driftChart = page.getByTestId('drift-over-time-chart');
    expect(await driftChart.locator('.recharts-line-dots circle').count()).toBe(4);
    await expect.poll(() => driftChart.getByText(/^(watch 0\.100|alert 0\.250)$/).count()).toBe(2);
    const rows = page.getByTestId('drift-row');
    expect(
      await rows.evaluateAll((els) => els.map((el) => el.getAttribute('data-status'))),
    ).toEqual(['alert', 'alert', 'watch', 'ok']);
    // A viewer sees the open alert but may not acknowledge it.
    await page.getByTestId('alert-banner').waitFor();
    expect(
      await page.getByTestId('alert-banner').getByRole('button', { name: 'Acknowledge' }).count(),
    ).toBe(0);
    await shots('page');

    // The daily job's online drift: one day, one point.
    await page.getByLabel('Source', { exact: true }).selectOption('online');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await driftChart.locator('.recharts-line-dots circle').count()).toBe(1);
    await page.getByLabel('Source', { exact: true }).selectOption('batch');
    await expect.poll(() => rows.count()).toBe(4);

    // Drill down into the newest run (2024-01): reference and current pickup-zone shares side by side.
    await rows.first().getByRole('button', { name: 'Distributions' }).click();
    const detail = page.getByTestId('drift-detail');
    await detail.getByTestId('distribution-overlay').waitFor();
    await page.getByLabel('Feature', { exact: true }).selectOption('pickupZones');
    await expect.poll(() => detail.locator('.recharts-bar').count()).toBe(2);
    expect(await detail.getByRole('row').count()).toBeGreaterThan(5);
    await detail.scrollIntoViewIfNeeded();
    await shots('drill-down');
  });

  it('shows the model health on the Overview, and an analyst acknowledges the alerts (audited)', async () => {
    await page.context().clearCookies();
    await signIn(page, E2E_USERS.analyst);
    await page.goto('/');
    const health = page.getByTestId('model-health-row').first();
    await health.waitFor();
    expect(await health.getAttribute('data-status')).toBe('alert');
    expect(await health.textContent()).toMatch(/batch run .*: .* PSI \d\.\d{3} >= alert 0\.25/);
    await shots('overview');

    const banner = page.getByTestId('alert-banner');
    await banner.waitFor();
    expect(await banner.textContent()).toMatch(/monitoring alerts? (is|are) open/);
    // Acknowledge until none is open: the banner goes away.
    for (let i = 0; i < 5 && (await banner.count()) > 0; i++) {
      await banner.getByRole('button', { name: 'Acknowledge' }).click();
      await page.waitForTimeout(400);
    }
    await banner.waitFor({ state: 'detached' });
    const audit = await listAuditLog(db, { limit: 20, targetType: 'alert' });
    expect(audit.items.length).toBeGreaterThanOrEqual(2);
    expect(
      audit.items.every(
        (a) => a.action === 'alert.acknowledge' && a.actor === E2E_USERS.analyst.email,
      ),
    ).toBe(true);
  });
});
