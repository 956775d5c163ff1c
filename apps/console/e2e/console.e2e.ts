/**
 * The console end to end, in Chromium, against the real app: server.ts (REST + Next build) on the
 * harness' Postgres, a local object store folder, the real scorer launched as a child process,
 * real onnxruntime. Screenshots of every page go to e2e/screenshots/ (gitignored).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDbClient, createPgPool, type TDb } from '@tripcast/db/client';
import {
  createMigratedTestDatabase,
  createTestRun,
  type TTestDatabase,
} from '@tripcast/db/testing';
import { generateTripMonth } from '@tripcast/model/trips';
import { promoteModel, registerModel } from '@tripcast/model/store';
import { ZRide } from '@tripcast/model';
import { failRun } from '@tripcast/db/queries/runs';
import { createApiKey } from '@tripcast/db/queries/api-keys';
import {
  buildConsoleIfStale,
  CONSOLE_DIR,
  startConsole,
  type TRunningConsole,
} from './support/console-server';
import { buildE2eModel, writeModelFiles } from './support/models';
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
const ZONES_CSV = path.join(SHARED_DATA, 'taxi_zone_lookup.csv');
const hasZones = fs.existsSync(ZONES_CSV);

// Known models: v1 in production at start, v2 registered but idle, v3 uploaded through the page.
const v1 = buildE2eModel({ name: MODEL_NAME, version: 'e2e-v1', intercept: 5, perMile: 3 });
const v2 = buildE2eModel({ name: MODEL_NAME, version: 'e2e-v2', intercept: 6, perMile: 2.8 });
const v3 = buildE2eModel({ name: MODEL_NAME, version: 'e2e-v3', intercept: 8, perMile: 2 });
const DISTANCE = 2.5;

const log = (line: string) => console.log(`[e2e] ${line}`);

describe.skipIf(!fs.existsSync(CHROMIUM))(`console in Chromium (${CHROMIUM})`, () => {
  let database: TTestDatabase;
  let db: TDb;
  let home: string;
  let app: TRunningConsole;
  let browser: Browser;
  let page: Page;

  /**
   * Screenshot a page at both laptop widths (1280 and 1440 px; `<name>-1280.png`, `<name>.png`) and
   * check it fits each: no horizontal scrolling of the page, and no table wider than its card
   * (tables scroll inside their own wrapper, which would hide columns instead).
   */
  const shotOf = async (p: Page, name: string) => {
    for (const width of [1280, 1440]) {
      await p.setViewportSize({ width, height: 900 });
      // Let charts (ResponsiveContainer) and wrapped text settle at the new width.
      await p.waitForTimeout(250);
      await p.screenshot({
        path: path.join(SCREENSHOTS, `${name}${width === 1440 ? '' : `-${width}`}.png`),
        fullPage: true,
      });
      const overflow = await p.evaluate(() => ({
        page: document.documentElement.scrollWidth - window.innerWidth,
        tables: [...document.querySelectorAll('[data-table-scroll]')].map(
          (el) => el.scrollWidth - el.clientWidth,
        ),
      }));
      expect(overflow.page, `${name} is wider than the ${width} px viewport`).toBeLessThanOrEqual(
        0,
      );
      for (const tableOverflow of overflow.tables)
        expect(
          tableOverflow,
          `a table of ${name} is wider than its card at ${width} px`,
        ).toBeLessThanOrEqual(1);
    }
  };
  const shot = (name: string) => shotOf(page, name);

  beforeAll(async () => {
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'tripcast-e2e-'));
    const store = path.join(home, 'store');
    database = await createMigratedTestDatabase();
    db = createDbClient(database.url);
    // "Ensure a model": v1 in production, v2 a candidate, artifacts in the object store.
    for (const m of [v1, v2])
      await registerModel({ db, storeUri: store, onnx: m.onnx, card: m.card, actor: 'e2e' });
    await promoteModel(db, { name: MODEL_NAME, version: v1.card.version, actor: 'e2e' });
    await createE2eUsers(db);
    // A generated month (with dirty rows) where the scorer looks by default: <store>/trip-data/<TLC file name>.
    await generateTripMonth({
      taxiType: 'green',
      year: 2024,
      month: 3,
      rows: 20_000,
      seed: 7,
      outPath: path.join(store, 'trip-data'),
    });
    // And the month before, which the Training page trains on (validating on 2024-03).
    await generateTripMonth({
      taxiType: 'green',
      year: 2024,
      month: 2,
      rows: 12_000,
      seed: 8,
      outPath: path.join(store, 'trip-data'),
    });

    buildConsoleIfStale(log);
    app = await startConsole({
      DATABASE_URL: database.url,
      TRIPCAST_HOME: home,
      OBJECT_STORE_URI: store,
      MODEL_NAME,
      MODEL_WATCH_INTERVAL_MS: '300',
      ...(hasZones ? { ZONE_LOOKUP_PATH: ZONES_CSV } : {}),
    });
    log(`console at ${app.url}`);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 }, baseURL: app.url });
  });

  it('sends a signed-out visitor to the sign-in page, refuses a wrong password, and signs the admin in', async () => {
    await page.goto('/runs');
    await page.waitForURL(/\/sign-in\?next=%2Fruns$/);
    await page.getByLabel('Email').fill(E2E_USERS.admin.email);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    expect(await page.getByTestId('sign-in-error').textContent()).toBe('Wrong email or password');
    await shot('00-sign-in');
    // Signed out, the data is refused on the server too, not only hidden.
    expect((await page.request.get('/api/history/export?sources=online')).status()).toBe(401);
    await signIn(page, E2E_USERS.admin);
    // The session cookie is HttpOnly and SameSite=Lax (Secure only over https; this is http://127.0.0.1).
    const session = (await page.context().cookies()).find((c) => c.name.endsWith('session_token'));
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    // Security headers on pages (next.config.ts) and on the REST API.
    const headers = (await page.request.get('/')).headers();
    expect(headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['referrer-policy']).toBe('strict-origin-when-cross-origin');
    const apiHeaders = (await page.request.get('/api/v1/openapi.json')).headers();
    expect(apiHeaders['x-content-type-options']).toBe('nosniff');
  });

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    if (app && process.env.E2E_SHOW_LOGS) console.log(app.logs.join('\n'));
    await db?.$disconnect();
    await database?.drop();
    // E2E_KEEP_HOME=1 keeps the object store and the scorer logs (<home>/logs) for a post-mortem.
    if (home && !process.env.E2E_KEEP_HOME) fs.rmSync(home, { recursive: true, force: true });
    else if (home) log(`kept ${home}`);
  });

  it('shows the fresh-install overview with the production model and first-run help', async () => {
    await page.goto('/');
    await expect
      .poll(() => page.getByTestId('production-version').textContent())
      .toBe(v1.card.version);
    expect(await page.getByText('No batch runs yet').isVisible()).toBe(true);
    // Stream figures say over which window they are, and shards count by held leases.
    await page.getByText(/last 15 min · \d+ rejected/).waitFor();
    expect(await page.getByTestId('shards-leased').textContent()).toBe('no consumer yet');
    // A favicon (the app's icon route), linked from every page.
    const icon = await page.locator('link[rel="icon"]').first().getAttribute('href');
    expect(icon).toBeTruthy();
    const iconResponse = await page.request.get(icon!);
    expect(iconResponse.status()).toBe(200);
    expect(iconResponse.headers()['content-type']).toContain('image/svg+xml');
    await shot('01-overview-fresh');
    // The same empty state on Batch runs does not send you to the page you are on.
    await page.goto('/runs');
    const help = page.getByText('No batch runs yet').locator('..');
    await help.getByText('in the form above').waitFor();
    expect(await help.getByRole('link', { name: 'Batch runs' }).count()).toBe(0);
  });

  it('triggers a batch run on a generated month and watches it finish with its histogram', async () => {
    await page.goto('/runs');
    // The form offers only the months in the store's trip-data (the generated green 2024-03).
    await page.locator('#run-month').selectOption('green:2024-03');
    await page.getByRole('button', { name: 'Start run' }).click();
    await page.waitForURL(/\/runs\/[^/]+$/);
    await page.getByRole('heading', { name: 'green 2024-03' }).waitFor();
    await shot('02-run-started');
    await page.getByText('succeeded', { exact: true }).first().waitFor({ timeout: 150_000 });
    await page
      .getByTestId('duration-histogram')
      .locator('.recharts-bar-rectangle')
      .first()
      .waitFor();
    const scored = Number(
      (await page.getByTestId('rows-scored').textContent())?.replaceAll(',', ''),
    );
    expect(scored).toBeGreaterThan(15_000); // 20,000 generated rows minus the dirty ones
    expect(scored).toBeLessThan(20_000);
    expect(await page.getByTestId('run-rmse').textContent()).toMatch(/^\d+\.\d\d min$/);
    expect(await page.getByTestId('output-uri').textContent()).toContain(
      'taxi_type=green/year=2024/month=03/',
    );
    await page.getByTestId('pred-vs-actual').locator('.recharts-scatter-symbol').first().waitFor();
    // Each scored trip shows its distance (miles, from the month's file) beside the durations.
    const firstMiles = page.getByTestId('run-prediction-row').first().getByTestId('run-miles');
    expect(await firstMiles.textContent()).toMatch(/^\d+\.\d{1,2}$/);
    await shot('03-run-detail');
    await page.goto('/runs');
    await page.locator('[data-testid="run-row"][data-status="succeeded"]').first().waitFor();
    expect(
      await page
        .locator('[data-testid="run-row"][data-status="succeeded"] [data-testid="run-duration"]')
        .first()
        .textContent(),
    ).toMatch(/^\d+ (s|ms)$|^\d+ min \d\d s$/);
    await shot('04-runs');
  });

  it('backfills a range of months as one run per month', async () => {
    await page.goto('/runs');
    await page.locator('#bf-from').fill('2024-03');
    await page.locator('#bf-to').fill('2024-03');
    await page.getByRole('button', { name: 'Start backfill' }).click();
    await page.getByText('Queued 1 run.').waitFor();
    await expect
      .poll(
        () =>
          page
            .locator('[data-testid="run-row"][data-trigger="backfill"][data-status="succeeded"]')
            .count(),
        {
          timeout: 150_000,
          interval: 1_000,
        },
      )
      .toBe(1);
  });

  it('shows an unknown run as a 404 page, and a failed run as failed with a Retry of its month', async () => {
    const missing = await page.goto('/runs/no-such-run');
    expect(missing?.status()).toBe(404);
    await page.getByTestId('not-found').getByText('Page not found').waitFor();
    expect(await page.getByText('Something went wrong').count()).toBe(0);
    await shot('14-run-not-found');

    // A run whose scorer failed before writing anything (what a crash or a bad input leaves).
    const runsPool = createPgPool(database.url, { max: 1 });
    const failed = await createTestRun(runsPool, {
      taxiType: 'green',
      year: 2024,
      month: 3,
      inputUri: path.join(home, 'store', 'trip-data', 'green_tripdata_2024-03.parquet'),
      outputUri: path.join(home, 'store', 'predictions', 'never-written.parquet'),
      rejectsUri: path.join(home, 'store', 'rejects', 'never-written.parquet'),
      trigger: 'manual',
    });
    await failRun(runsPool, failed.id, 'scorer exited with code 1 (e2e)');
    await runsPool.end();
    await page.goto(`/runs/${failed.id}`);
    expect(await page.getByTestId('run-error').textContent()).toBe(
      'scorer exited with code 1 (e2e)',
    );
    expect(await page.getByText('appears when the run has finished').count()).toBe(0);
    expect(await page.getByTestId('output-uri').textContent()).toBe('not written: the run failed');
    expect(await page.getByTestId('rejects-uri').textContent()).toBe('not written: the run failed');
    expect(await page.getByText('never-written').count()).toBe(0);
    await shot('15-run-failed');
    await page.getByRole('button', { name: 'Retry green 2024-03' }).click();
    await page.waitForURL(
      (url) => /\/runs\/[^/]+$/.test(url.pathname) && !url.pathname.endsWith(failed.id),
    );
    await page.getByRole('heading', { name: 'green 2024-03' }).waitFor();
    await page.getByText('succeeded', { exact: true }).first().waitFor({ timeout: 150_000 });
  });

  const predictOnce = async (p: Page = page) => {
    if (hasZones) {
      await p.getByLabel('Pickup borough').selectOption('Manhattan');
      await p.getByLabel('Pickup zone').selectOption({ label: 'Central Park (43)' });
      await p.getByLabel('Dropoff borough').selectOption('Queens');
      await p.getByLabel('Dropoff zone').selectOption({ label: 'JFK Airport (132)' });
    } else {
      await p.locator('#pickup-zone').fill('43');
      await p.locator('#dropoff-zone').fill('132');
    }
    await p.getByLabel('Distance (miles)').fill(String(DISTANCE));
    await p.getByRole('button', { name: 'Predict duration' }).click();
    await p.getByTestId('prediction-result').waitFor();
  };

  it('predicts live: minutes, the model version and the latency', async () => {
    await page.goto('/predict');
    await predictOnce();
    expect(await page.getByTestId('predicted-minutes').textContent()).toBe(
      `${v1.minutesFor(DISTANCE).toFixed(1)} minutes`,
    );
    expect(await page.getByTestId('prediction-model-version').textContent()).toBe(v1.card.version);
    expect(await page.getByTestId('prediction-latency').textContent()).toMatch(/ms$/);
    await page.getByTestId('recent-online').getByText(v1.card.version).first().waitFor();
    await shot('05-predict');
  });

  it('shows the new online and batch predictions in History and exports them as CSV', async () => {
    await page.goto('/history');
    await page.locator('[data-testid="history-row"][data-source="online"]').first().waitFor();
    await page.locator('[data-testid="history-row"][data-source="batch"]').first().waitFor();
    // Batch rows carry their trip's distance as online rows do (not a dash).
    expect(
      await page
        .locator('[data-testid="history-row"][data-source="batch"] [data-testid="history-miles"]')
        .first()
        .textContent(),
    ).toMatch(/^\d+\.\d{1,2}$/);
    await shot('06-history');
    await page.getByLabel('stream').uncheck();
    await page.getByLabel('batch').uncheck();
    await expect
      .poll(() => page.locator('[data-testid="history-row"][data-source="batch"]').count())
      .toBe(0);
    expect(await page.locator('[data-testid="history-row"][data-source="online"]').count()).toBe(1);
    // The filters are in the URL: a reload (or a shared link) shows the same rows.
    await page.waitForURL(/\/history\?sources=online$/);
    await page.reload();
    await page.locator('[data-testid="history-row"][data-source="online"]').first().waitFor();
    expect(await page.getByLabel('batch').isChecked()).toBe(false);
    expect(await page.locator('[data-testid="history-row"][data-source="batch"]').count()).toBe(0);
    // Export CSV takes the same query.
    const exportHref = await page.getByRole('link', { name: 'Export CSV' }).getAttribute('href');
    expect(exportHref).toBe('/api/history/export?sources=online');
    const csv = await (await page.request.get(exportHref!)).text();
    expect(csv.split('\n')[1]).toContain(`,online,scored,`);
    expect(csv).toContain(`,${v1.card.version},`);
    // Zone names next to the IDs.
    expect(csv.split('\n')[0]).toContain(
      'puLocationId,puBorough,puZone,doLocationId,doBorough,doZone',
    );
    if (hasZones) expect(csv).toContain(',43,Manhattan,Central Park,132,Queens,JFK Airport,');
    await shot('06-history-filtered');
  });

  it('registers an uploaded version, promotes it with a confirmation, and the next live prediction uses it', async () => {
    const files = await writeModelFiles(v3, path.join(home, 'upload'));
    await page.goto('/models');
    await page.locator(`[data-testid="model-card"][data-version="${v2.card.version}"]`).waitFor();
    await page.getByLabel('model.onnx').setInputFiles(files.onnxPath);
    await page.getByLabel('card.json').setInputFiles(files.cardPath);
    await page.getByRole('button', { name: 'Register' }).click();
    await page.getByText(`Registered ${v3.card.version}`).waitFor();
    await page.getByRole('button', { name: `Promote ${v3.card.version}` }).click();
    await page.getByRole('dialog').waitFor();
    await shot('07-models-confirm');
    await page.getByRole('dialog').getByRole('button', { name: 'Promote' }).click();
    await page
      .locator(
        `[data-testid="model-card"][data-version="${v3.card.version}"][data-stage="production"]`,
      )
      .waitFor();
    await shot('08-models');

    await page.goto('/predict');
    // The watcher picks the promotion up within its interval (300 ms here): predict until it shows.
    await expect
      .poll(
        async () => {
          await predictOnce();
          return page.getByTestId('prediction-model-version').textContent();
        },
        { timeout: 15_000, interval: 500 },
      )
      .toBe(v3.card.version);
    expect(await page.getByTestId('predicted-minutes').textContent()).toBe(
      `${v3.minutesFor(DISTANCE).toFixed(1)} minutes`,
    );
    await shot('09-predict-after-promotion');
  });

  it('compares the production version with the others on a month of the store, side by side', async () => {
    await page.goto('/models');
    const panel = page.getByTestId('compare-panel');
    await panel.locator('#compare-month').selectOption('green:2024-03');
    // By default production, the challengers and the newest candidate are ticked.
    await panel.getByRole('button', { name: 'Compare' }).click();
    const result = panel.getByTestId('comparison-result');
    await result.waitFor({ timeout: 60_000 });
    const rmse = await result.getByTestId('compare-rmse').locator('td').allTextContents();
    expect(rmse[0]).toBe('RMSE');
    expect(rmse.length).toBeGreaterThanOrEqual(3); // label + at least two versions
    for (const cell of rmse.slice(1)) expect(cell).toMatch(/^\d+\.\d{3}$/);
    await result
      .getByTestId('compare-by-distance')
      .locator('.recharts-bar-rectangle')
      .first()
      .waitFor();
    expect(await result.getByTestId('compare-pairs').textContent()).toMatch(/min apart/);
    expect(await result.getByTestId('compare-heatmap').count()).toBe(rmse.length - 1);
    await shot('08b-models-compare');
  });

  it('shows the promoted model and the activity on the overview', async () => {
    await page.goto('/');
    await expect
      .poll(() => page.getByTestId('production-version').textContent())
      .toBe(v3.card.version);
    await page.locator('.recharts-area').first().waitFor();
    await shot('10-overview');
  });

  it('shows each role only what it may do (viewer, analyst, admin), and admins manage API keys', async () => {
    const pageAs = async (role: keyof typeof E2E_USERS) => {
      const context = await browser.newContext({
        viewport: { width: 1440, height: 900 },
        baseURL: app.url,
        permissions: ['clipboard-read', 'clipboard-write'],
      });
      const p = await context.newPage();
      await signIn(p, E2E_USERS[role]);
      return p;
    };
    const navLinks = async (p: Page) =>
      (await p.getByRole('navigation', { name: 'Main' }).locator('ul a').allTextContents()).map(
        (t) => t.replace(/^\W+/, '').trim(),
      );

    // Viewer: reads runs, history and models; no trigger form, no promote, no live prediction.
    const viewer = await pageAs('viewer');
    expect(await navLinks(viewer)).toEqual([
      'Overview',
      'Batch runs',
      'History',
      'Models',
      'Monitoring',
    ]);
    await viewer.goto('/runs');
    await viewer.locator('[data-testid="run-row"]').first().waitFor();
    expect(await viewer.getByRole('button', { name: 'Start run' }).count()).toBe(0);
    await viewer.goto('/models');
    await viewer.locator(`[data-testid="model-card"][data-version="${v3.card.version}"]`).waitFor();
    expect(await viewer.getByRole('button', { name: /Promote|Roll back/ }).count()).toBe(0);
    expect(await viewer.getByRole('form', { name: 'Register a model version' }).count()).toBe(0);
    await viewer.goto('/predict');
    await viewer.getByText('This page needs the analyst role').waitFor();
    await shotOf(viewer, '11-viewer-predict');
    // The server refuses too: a viewer's tRPC mutation is FORBIDDEN whatever the UI shows.
    const forbidden = await viewer.request.post('/api/trpc/models.rollback', {
      headers: { 'content-type': 'application/json', origin: app.url },
      data: {},
    });
    expect(forbidden.status()).toBe(403);
    await viewer.context().close();

    // Analyst: + trigger runs and live prediction; no promote, no admin pages.
    const analyst = await pageAs('analyst');
    expect(await navLinks(analyst)).toEqual([
      'Overview',
      'Batch runs',
      'Live prediction',
      'History',
      'Models',
      'Monitoring',
      'Training',
    ]);
    await analyst.goto('/runs');
    await analyst.getByRole('button', { name: 'Start run' }).waitFor();
    await analyst.goto('/predict');
    await predictOnce(analyst);
    expect(await analyst.getByTestId('prediction-model-version').textContent()).toBe(
      v3.card.version,
    );
    // The form's distance rule is the API's (the shared schema): shown, and applied the same way.
    const distanceRule = ZRide.shape.trip_distance;
    expect(await analyst.getByTestId('distance-rule').textContent()).toBe(distanceRule.description);
    for (const miles of [0.05, 0]) {
      await analyst.getByLabel('Distance (miles)').fill(String(miles));
      const expected = distanceRule.safeParse(miles);
      if (expected.success) {
        await analyst.getByRole('button', { name: 'Predict duration' }).click();
        await expect
          .poll(async () =>
            Number((await analyst.getByTestId('predicted-minutes').textContent())?.split(' ')[0]),
          )
          .toBeCloseTo(v3.minutesFor(miles), 1);
      } else {
        await analyst.getByText(expected.error.issues[0]!.message).waitFor();
        expect(await analyst.getByRole('button', { name: 'Predict duration' }).isDisabled()).toBe(
          true,
        );
      }
    }
    await analyst.goto('/models');
    await analyst
      .locator(`[data-testid="model-card"][data-version="${v3.card.version}"]`)
      .waitFor();
    expect(await analyst.getByRole('button', { name: /Promote|Roll back/ }).count()).toBe(0);
    await analyst.goto('/api-keys');
    await analyst.getByText('This page needs the admin role').waitFor();
    await analyst.context().close();

    // Admin: everything, including API keys (shown once, usable at once, revoked at once) and the audit log.
    const admin = await pageAs('admin');
    expect(await navLinks(admin)).toEqual([
      'Overview',
      'Batch runs',
      'Live prediction',
      'History',
      'Models',
      'Monitoring',
      'Training',
      'API keys',
      'Users',
      'Audit log',
    ]);
    await admin.goto('/models');
    // Roll back: the dialog names the version it puts back; one audit row; the card says so.
    await admin.getByRole('button', { name: 'Roll back…' }).click();
    const rollbackDialog = admin.getByRole('dialog');
    await rollbackDialog
      .getByRole('heading', { name: `Roll back to ${v1.card.version}?` })
      .waitFor();
    await shotOf(admin, '16-models-rollback-confirm');
    await rollbackDialog.getByRole('button', { name: `Roll back to ${v1.card.version}` }).click();
    const restored = admin.locator(
      `[data-testid="model-card"][data-version="${v1.card.version}"][data-stage="production"]`,
    );
    await restored.waitFor();
    expect(await restored.getByTestId('promoted-via').textContent()).toBe('rolled back');
    await shotOf(admin, '17-models-rolled-back');
    await admin.goto('/api-keys');
    await admin.getByLabel('Name (the service that will use it)').fill('e2e service');
    await admin.getByRole('button', { name: 'Create key' }).click();
    const key = (await admin.getByTestId('new-api-key-value').textContent()) ?? '';
    expect(key).toMatch(/^tc_/);
    await admin.getByTestId('new-api-key').getByRole('button', { name: 'Copy' }).click();
    await admin.getByTestId('new-api-key').getByRole('button', { name: 'Copied' }).waitFor();
    expect(await admin.evaluate(() => navigator.clipboard.readText())).toBe(key);
    const predictWith = (authorization?: string) =>
      fetch(`${app.url}/api/v1/predict`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(authorization ? { authorization } : {}),
        },
        body: JSON.stringify({ PULocationID: 43, DOLocationID: 132, trip_distance: DISTANCE }),
      });
    expect((await predictWith()).status).toBe(401);
    expect((await predictWith(`Bearer ${key}`)).status).toBe(200);
    // The API applies the same distance rule as the Live prediction form (checked above).
    for (const miles of [0.05, 0]) {
      const viaApi = await fetch(`${app.url}/api/v1/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ PULocationID: 43, DOLocationID: 132, trip_distance: miles }),
      });
      expect(viaApi.status, `API on ${miles} mi`).toBe(
        ZRide.shape.trip_distance.safeParse(miles).success ? 200 : 400,
      );
    }
    await shotOf(admin, '12-api-keys');
    await admin.getByTestId('api-keys').getByRole('button', { name: 'Revoke' }).first().click();
    await admin.getByRole('button', { name: 'Revoke key' }).click();
    await admin
      .getByTestId('api-keys')
      .getByText(/^revoked/)
      .waitFor();
    // At once in this process (announced to the API's key cache); the poll only absorbs the page round trip.
    await expect
      .poll(async () => (await predictWith(`Bearer ${key}`)).status, {
        timeout: 1_500,
        interval: 100,
      })
      .toBe(401);
    await admin.goto('/audit');
    const audit = admin.getByTestId('audit-log');
    await audit.getByText('api_key.revoke').waitFor();
    for (const action of [
      'api_key.create',
      'model.promote',
      'model.register',
      'run.trigger',
      'run.backfill',
      'run.retry',
    ]) {
      expect(await audit.getByText(action, { exact: true }).count(), action).toBeGreaterThan(0);
    }
    // A rollback is one row (not also a model.promote), and details read as values, not JSON.
    expect(
      await audit.locator('[data-testid="audit-row"][data-action="model.rollback"]').count(),
    ).toBe(1);
    expect(
      await audit.locator('[data-testid="audit-row"][data-action="model.promote"]').count(),
    ).toBe(2);
    expect(await audit.textContent()).not.toContain('{"');
    expect(await audit.getByText(E2E_USERS.admin.email).count()).toBeGreaterThan(0);
    await shotOf(admin, '13-audit');
    await admin.context().close();
  });

  it('admins change a role, reset a password (shown once, copyable) and disable a user; the user changes their own password', async () => {
    const newContext = () =>
      browser.newContext({
        viewport: { width: 1440, height: 900 },
        baseURL: app.url,
        permissions: ['clipboard-read', 'clipboard-write'],
      });
    const admin = await (await newContext()).newPage();
    await signIn(admin, E2E_USERS.admin);
    await admin.goto('/users');
    // Create with a generated password: shown once, with a copy button.
    await admin.getByLabel('Email').fill('dana@e2e.test');
    await admin.getByLabel('Name').fill('Dana');
    await admin.getByRole('button', { name: 'Create user' }).click();
    const created = (await admin.getByTestId('new-user-password').textContent()) ?? '';
    expect(created).toMatch(/^[\w-]{20}$/);
    await admin.getByTestId('new-user').getByRole('button', { name: 'Copy' }).click();
    expect(await admin.evaluate(() => navigator.clipboard.readText())).toBe(created);
    const row = admin.locator('[data-testid="user-row"][data-email="dana@e2e.test"]');
    // Change the role: viewer → analyst.
    await row.getByLabel('Role of dana@e2e.test').selectOption('analyst');
    await expect.poll(() => row.getByLabel('Role of dana@e2e.test').inputValue()).toBe('analyst');
    // Reset the password: a new one, shown once.
    await row.getByRole('button', { name: 'Reset password…' }).click();
    await admin.getByRole('dialog').getByRole('button', { name: 'Reset password' }).click();
    const reset = (await admin.getByTestId('reset-password-value').textContent()) ?? '';
    expect(reset).toMatch(/^[\w-]{20}$/);
    expect(reset).not.toBe(created);
    await shotOf(admin, '18-users');

    // The user signs in with the reset password, has the new role, and changes their password.
    const dana = { email: 'dana@e2e.test', password: reset, role: 'analyst' as const };
    const user = await (await newContext()).newPage();
    await signIn(user, dana);
    await user.getByRole('link', { name: 'Change password' }).click();
    await user.waitForURL(/\/account$/);
    expect(await user.getByTestId('account-role').textContent()).toBe('analyst');
    await user.getByLabel('Current password').fill('wrong password!');
    await user.getByLabel('New password', { exact: true }).fill('dana-new-password-2026');
    await user.getByLabel('New password again').fill('dana-new-password-2026');
    await user.getByRole('button', { name: 'Change password' }).click();
    await user.getByText('The current password is wrong').waitFor();
    await shotOf(user, '19-account');
    await user.getByLabel('Current password').fill(reset);
    await user.getByRole('button', { name: 'Change password' }).click();
    await user.waitForURL(/\/sign-in/);
    await signIn(user, { ...dana, password: 'dana-new-password-2026' });

    // Disabled: signed out at once, and the sign-in is refused.
    await admin.reload();
    await row.getByRole('button', { name: 'Disable…' }).click();
    await admin.getByRole('dialog').getByRole('button', { name: 'Disable' }).click();
    await row.getByText('disabled', { exact: true }).waitFor();
    const refused = await user.request.get('/api/trpc/auth.me');
    expect(JSON.stringify(await refused.json())).not.toContain('dana@e2e.test');
    await user.goto('/sign-in');
    await user.getByLabel('Email').fill(dana.email);
    await user.getByLabel('Password').fill('dana-new-password-2026');
    await user.getByRole('button', { name: 'Sign in', exact: true }).click();
    await user.getByTestId('sign-in-error').waitFor();

    await admin.goto('/audit');
    const audit = admin.getByTestId('audit-log');
    await audit.getByText('user.disable', { exact: true }).waitFor();
    for (const action of [
      'user.create',
      'user.set_role',
      'user.reset_password',
      'user.change_password',
      'user.disable',
    ]) {
      expect(await audit.getByText(action, { exact: true }).count(), action).toBeGreaterThan(0);
    }
    await user.context().close();
    await admin.context().close();
  });

  it('adds a challenger, compares it with production on live API traffic, and promotes it with that evidence (1280 and 1440 px)', async () => {
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto('/models');
    const panel = page.getByTestId('challengers-panel');
    await panel.waitFor();
    const production = await page
      .locator('[data-testid="model-card"][data-stage="production"]')
      .getAttribute('data-version');
    const challenger = v2.card.version;
    expect(production).not.toBe(challenger);
    await panel.getByRole('combobox', { name: 'Add a challenger' }).selectOption(challenger);
    await panel.getByRole('button', { name: 'Add challenger' }).click();
    const section = panel.locator(`[data-testid="challenger"][data-version="${challenger}"]`);
    await section.waitFor();

    // Live traffic through the REST API: production answers, the challenger scores after it.
    const { key } = await createApiKey(db, { name: 'e2e challengers', createdBy: 'e2e' });
    const ride = { PULocationID: 43, DOLocationID: 132, trip_distance: DISTANCE };
    await expect
      .poll(
        async () => {
          const res = await page.request.post('/api/v1/predict', {
            headers: { authorization: `Bearer ${key}` },
            data: ride,
          });
          expect(res.status()).toBe(200);
          // The answer is production's, unchanged.
          expect(((await res.json()) as { model_version: string }).model_version).toBe(production);
          return db.predictionHistory.count({
            where: { role: 'challenger', modelVersion: challenger, source: 'online' },
          });
        },
        { timeout: 15_000, interval: 300 },
      )
      .toBeGreaterThanOrEqual(3);

    await page.reload();
    const online = section.locator('[data-testid="agreement-row"][data-source="online"]');
    await online.waitFor();
    expect(
      Number((await online.locator('td').nth(1).textContent())?.replace(/\D/g, '')),
    ).toBeGreaterThanOrEqual(3);
    await shot('20-models-challengers');

    await section.getByRole('button', { name: 'Promote…' }).click();
    const dialog = page.getByRole('dialog', {
      name: `Promote challenger ${challenger} to production?`,
    });
    await dialog.waitFor();
    expect(await dialog.getByTestId('promote-evidence').textContent()).toMatch(
      /online: \d+ rides, mean \|Δ\| [\d.]+ min, p95 \|Δ\| [\d.]+ min, \d+% over 5 min apart/,
    );
    await dialog.getByLabel('stays on as a challenger').check();
    await shot('21-models-promote-challenger');
    await dialog.getByRole('button', { name: 'Promote' }).click();
    await page
      .locator(`[data-testid="model-card"][data-version="${challenger}"][data-stage="production"]`)
      .waitFor();
    await panel.locator(`[data-testid="challenger"][data-version="${production}"]`).waitFor();
    await shot('22-models-after-challenger-promotion');

    // History filters by role and version (in the URL).
    await page.goto(`/history?modelVersion=${encodeURIComponent(challenger)}&role=challenger`);
    expect(await page.getByLabel('Role').inputValue()).toBe('challenger');
    await page.locator('table').getByText('challenger', { exact: true }).first().waitFor();
    await shot('23-history-challenger-rows');
  });

  it('scores a batch run with production and the challenger: both on the run page, month by month on the Models page (1280 and 1440 px)', async () => {
    // After the promotion above, the old production version is a challenger.
    await page.goto('/models');
    const section = page.locator('[data-testid="challenger"]').first();
    await section.waitFor();
    const version = await section.getAttribute('data-version');
    await page.goto('/runs');
    await page.locator('#run-month').selectOption('green:2024-03');
    await page.getByRole('button', { name: 'Start run' }).click();
    await page.waitForURL(/\/runs\/[^/]+$/);
    await page.getByText('succeeded', { exact: true }).first().waitFor({ timeout: 150_000 });
    const models = page.getByTestId('run-models');
    await models.waitFor();
    const row = models.getByTestId(`run-model-${version}`);
    await row.waitFor();
    expect(await row.textContent()).toContain('challenger');
    expect(await row.locator('td').nth(1).textContent()).toMatch(/^\d+\.\d\d min$/);
    await page.getByTestId('difference-chart').locator('.recharts-bar-rectangle').first().waitFor();
    await shot('24-run-with-challenger');

    await page.goto('/models');
    const batchRow = page
      .locator(`[data-testid="challenger"][data-version="${version}"]`)
      .getByTestId('batch-month-row')
      .first();
    await batchRow.waitFor();
    expect(await batchRow.textContent()).toMatch(/green 2024-03.*\d+\.\d\d min \/ \d+\.\d\d min/);
    await page
      .locator(`[data-testid="challenger"][data-version="${version}"]`)
      .getByRole('button', { name: 'Promote…' })
      .click();
    const evidence = page.getByTestId('promote-evidence');
    await evidence.waitFor();
    expect(await evidence.textContent()).toMatch(
      /Batch: lower RMSE than production in \d of 1 month; green 2024-03/,
    );
    await shot('25-models-batch-evidence');
    await page.getByRole('button', { name: 'Cancel' }).click();
  });
  it('an analyst trains a model from the console (progress, log, card) and compares it with production (1280 and 1440 px)', async () => {
    const context = await browser.newContext({
      viewport: { width: 1440, height: 900 },
      baseURL: app.url,
    });
    const analyst = await context.newPage();
    await signIn(analyst, E2E_USERS.analyst);
    await analyst
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Training' })
      .click();
    await analyst.waitForURL(/\/training$/);
    const form = analyst.getByRole('form', { name: 'Train a model' });
    // Or upload a month: a TLC file into the store, offered at once (a misnamed file is refused).
    const upload = analyst.getByRole('form', { name: 'Upload a month' });
    const scratch = fs.mkdtempSync(path.join(home, 'upload-'));
    const uploaded = await generateTripMonth({
      taxiType: 'green',
      year: 2024,
      month: 1,
      rows: 2_000,
      seed: 11,
      outPath: scratch,
    });
    const renamed = path.join(scratch, 'trips.parquet');
    fs.copyFileSync(uploaded.path, renamed);
    await upload.locator('#upload-month').setInputFiles(renamed);
    await upload.getByRole('button', { name: 'Upload', exact: true }).click();
    expect(await upload.locator('#upload-month-error').textContent()).toMatch(
      /name the file as the TLC does/,
    );
    await upload.locator('#upload-month').setInputFiles(uploaded.path);
    await upload.getByRole('button', { name: 'Upload', exact: true }).click();
    expect(await upload.getByTestId('upload-month-done').textContent()).toBe(
      'Added green 2024-01 to the store.',
    );
    await form
      .locator('#train-month-0 option[value="green:2024-01"]')
      .waitFor({ state: 'attached' });
    // The months come from the store (StoreMonthSelect): train on 2024-02, validate on 2024-03.
    await form.locator('#train-month-0').selectOption('green:2024-02');
    await form.locator('#validation-month').selectOption('green:2024-03');
    await form.locator('#training-recipe').selectOption('zones');
    // A bad hyper-parameter is refused by the server, naming the field under it; nothing starts.
    await form.locator('#param-lambdaPair').fill('-1');
    await form.getByRole('button', { name: 'Start training' }).click();
    expect(await form.locator('#param-lambdaPair-error').textContent()).toMatch(/>=\s*0/);
    await shotOf(analyst, '26-training-refused');
    await form.locator('#param-lambdaPair').fill('5');
    await form.getByRole('button', { name: 'Start training' }).click();
    await analyst.waitForURL(/\/training\?job=/);
    const job = analyst.getByTestId('training-job');
    await job.waitFor();
    // Usually still queued or running here (the screenshot shows whichever it is).
    await shotOf(analyst, '26b-training-started');
    // Live: queued or running first, then succeeded with the phases in its log.
    await analyst
      .locator('[data-testid="training-job"]:is([data-status="succeeded"], [data-status="failed"])')
      .waitFor({ timeout: 150_000 });
    expect(
      await job.getAttribute('data-status'),
      (await job.getByTestId('training-log').textContent()) ?? '',
    ).toBe('succeeded');
    const log = (await job.getByTestId('training-log').textContent()) ?? '';
    expect(log).toMatch(/reading .*green_tripdata_2024-02\.parquet/);
    expect(log).toContain('fitting');
    expect(log).toMatch(/validation RMSE \d+\.\d{4} min/);
    expect(await job.getByTestId('training-phase').textContent()).toBe('done');
    expect(log).toContain(`registered ${MODEL_NAME}@`);
    const version = ((await job.getByTestId('training-version').textContent()) ?? '').trim();
    expect(version).not.toBe('');
    expect(await job.getByTestId('training-rmse').textContent()).toMatch(/^\d+\.\d{3}$/);
    // The job is listed with its version; the server path of the month is not shown to an analyst.
    await expect
      .poll(() => analyst.getByTestId('training-jobs').textContent(), { timeout: 10_000 })
      .toContain(version);
    expect(log).not.toContain(home);
    await shotOf(analyst, '27-training-done');

    // Registered as a candidate (never promoted by itself), in the analyst's name; audited.
    const registered = await db.modelVersion.findUniqueOrThrow({
      where: { name_version: { name: MODEL_NAME, version } },
      select: { stage: true, createdBy: true },
    });
    expect(registered).toEqual({ stage: 'candidate', createdBy: E2E_USERS.analyst.email });
    const trained = await db.auditLog.findFirstOrThrow({
      where: { action: 'model.train' },
      select: { actor: true, details: true },
    });
    expect(trained.actor).toBe(E2E_USERS.analyst.email);
    expect(trained.details).toMatchObject({
      recipe: 'zones',
      params: { lambdaPair: 5 },
      trainMonths: ['green 2024-02'],
      validationMonth: 'green 2024-03',
    });

    // Compare with production: the Models page's panel, preselected with production and the new
    // version on the validation month.
    await job.getByTestId('compare-with-production').click();
    await analyst.waitForURL(/\/models\?compare=/);
    const panel = analyst.getByTestId('compare-panel');
    await panel.waitFor();
    expect(await panel.locator('#compare-month').inputValue()).toBe('green:2024-03');
    const production = await db.modelVersion.findFirstOrThrow({
      where: { name: MODEL_NAME, stage: 'production' },
      select: { version: true },
    });
    const ticked = await panel
      .locator('input[type="checkbox"]:checked')
      .evaluateAll((boxes) =>
        boxes.map((box) => box.closest('label')?.querySelector('.font-mono')?.textContent),
      );
    expect(ticked.sort()).toEqual([production.version, version].sort());
    await panel.getByRole('button', { name: 'Compare' }).click();
    const result = panel.getByTestId('comparison-result');
    await result.waitFor({ timeout: 60_000 });
    const header = await result.locator('thead th').allTextContents();
    expect(header.slice(1).sort()).toEqual(
      [`${production.version} (production)`, `${version} (candidate)`].sort(),
    );
    const rmse = await result.getByTestId('compare-rmse').locator('td').allTextContents();
    for (const cell of rmse.slice(1)) expect(cell).toMatch(/^\d+\.\d{3}$/);
    await shotOf(analyst, '28-training-compare');
    await context.close();
  });
});
