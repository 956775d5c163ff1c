/**
 * A viewer must not read the server's file paths through tRPC (artifact folders,
 * training files, run inputs/outputs, errors, the zone table). Real routers over a real database
 * and a real store folder; a viewer and an admin ask the same questions.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZModelCard } from '@tripcast/model';
import { promoteModel, registerModel } from '@tripcast/model/store';
import { buildE2eModel } from '../../../e2e/support/models';
import type { TSessionUser } from '../auth/roles';
import { createTestConsole, TEST_ADMIN, type TTestConsole } from '../testing/context';
import { seedBatchRun } from '../testing/seed';

const NAME = 'ride_duration_prediction_model';
const VIEWER: TSessionUser = { id: 'viewer-1', email: 'viewer@example.com', name: 'Viewer', role: 'viewer' };
const TLC_DIR = '/srv/tlc-data';
const ZONES = '/srv/config/taxi_zone_lookup.csv';

let store: string;
let viewer: TTestConsole;
let admin: TTestConsole;

beforeAll(async () => {
  store = fs.mkdtempSync(path.join(os.tmpdir(), 'tripcast-server-paths-'));
  const getZoneTable = () => Promise.resolve({ path: ZONES, zones: [] });
  viewer = await createTestConsole({ storeUri: store, user: VIEWER, getZoneTable });
  // The admin's caller reads the same database.
  admin = await createTestConsole({ storeUri: store, user: TEST_ADMIN, getZoneTable, db: viewer.db });

  const model = buildE2eModel({ name: NAME, version: 'v1', intercept: 5, perMile: 3 });
  const source = (month: string) => ({ uri: path.join(TLC_DIR, `green_tripdata_2021-${month}.parquet`), rowsRead: 10, rowsUsed: 9 });
  const card = ZModelCard.parse({
    ...model.card,
    description: `Default model trained at first start from ${source('01').uri}`,
    training: { algorithm: 'lsqr', features: ['PU_DO'], target: 'duration', filter: '1..60', trainData: [source('01')], validationData: source('02') },
  });
  await registerModel({ db: viewer.db, storeUri: store, onnx: model.onnx, card, actor: 'test' });
  await promoteModel(viewer.db, { name: NAME, version: 'v1', actor: 'test' });

  await seedBatchRun(viewer.db, { id: 'run-failed', year: 2021, month: 5, status: 'failed' });
  await viewer.db.batchRun.update({
    where: { id: 'run-failed' },
    data: {
      inputUri: path.join(store, 'trip-data', 'green_tripdata_2021-05.parquet'),
      outputUri: path.join(store, 'predictions', 'taxi_type=green', 'year=2021', 'month=05', 'run-failed.parquet'),
      rejectsUri: '/var/tripcast/rejects/run-failed.parquet',
      error: `object not found: ${path.join(store, 'trip-data', 'green_tripdata_2021-05.parquet')}. Looked in ${TLC_DIR}/green too.`,
    },
  });
});
afterAll(async () => {
  await admin?.close().catch(() => undefined);
  await viewer?.close();
  fs.rmSync(store, { recursive: true, force: true });
});

/** Every server path a response could carry. */
const SERVER_PATHS = () => [store, TLC_DIR, ZONES, '/var/tripcast', os.tmpdir()];

async function viewsOf(t: TTestConsole) {
  return {
    models: await t.caller.models.list(),
    overview: await t.caller.overview.get(),
    runs: await t.caller.runs.list(),
    run: await t.caller.runs.get({ id: 'run-failed' }),
    zones: await t.caller.predictions.zones(),
  };
}

describe('server paths in tRPC outputs', () => {
  it('shows a viewer store-relative names and file names, never a server path', async () => {
    const seen = await viewsOf(viewer);
    const text = JSON.stringify(seen);
    for (const serverPath of SERVER_PATHS()) expect(text, serverPath).not.toContain(serverPath);

    const [version] = seen.models.versions;
    expect(version?.artifactUri).toBe(`models/${NAME}/v1`);
    const card = version?.card as { description: string; training: { trainData: { uri: string }[]; validationData: { uri: string } } };
    expect(card.training.trainData[0]?.uri).toBe('green_tripdata_2021-01.parquet');
    expect(card.training.validationData.uri).toBe('green_tripdata_2021-02.parquet');
    expect(card.description).toBe('Default model trained at first start from green_tripdata_2021-01.parquet');
    expect(seen.overview.production?.artifactUri).toBe(`models/${NAME}/v1`);

    expect(seen.run.run.inputUri).toBe('trip-data/green_tripdata_2021-05.parquet');
    expect(seen.run.run.outputUri).toBe('predictions/taxi_type=green/year=2021/month=05/run-failed.parquet');
    expect(seen.run.run.rejectsUri).toBe('run-failed.parquet');
    expect(seen.run.run.error).toBe('object not found: trip-data/green_tripdata_2021-05.parquet. Looked in green too.');
    expect(seen.runs.items.find((r) => r.id === 'run-failed')?.error).toBe(seen.run.run.error);
    expect(seen.zones?.path).toBe('taxi_zone_lookup.csv');
  });

  it('shows an admin the full locations (they run the deployment)', async () => {
    const seen = await viewsOf(admin);
    expect(seen.models.versions[0]?.artifactUri).toBe(path.join(store, 'models', NAME, 'v1'));
    expect(seen.run.run.inputUri).toBe(path.join(store, 'trip-data', 'green_tripdata_2021-05.parquet'));
    expect(seen.run.run.rejectsUri).toBe('/var/tripcast/rejects/run-failed.parquet');
    expect(seen.zones?.path).toBe(ZONES);
  });
});
