import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createDbClient, type TDb } from '@tripcast/db/client';
import { listAuditLog } from '@tripcast/db/queries/audit';
import { createMigratedTestDatabase, type TTestDatabase } from '@tripcast/db/testing';
import { createTestBucket, getTestAws } from '@tripcast/local-stack/testing';

import { ridesToColumns } from './features';
import { buildLinearPairModel, linearPairCardIo, PAIR_TABLE_SIZE } from './onnx/linear-pair-model';
import { objectExists, type TS3Options } from './object-store';
import { loadModel, sha256Hex } from './runtime';
import {
  addChallenger,
  createProductionModelWatcher,
  removeChallenger,
  resolveServingModels,
  listModelVersions,
  modelArtifactUri,
  promoteModel,
  registerModel,
  resolveProductionModel,
  rollbackModel,
  findRollbackTarget,
} from './store';
import { ensureDefaultModel } from './default-model';
import type { TModelCard } from './model-card';
import { hasSharedData, sharedDataPath } from './testing/shared-data';

/** A tiny model whose every prediction is `minutes`: easy to tell versions apart. */
function constantModel(name: string, version: string, minutes: number) {
  const onnx = buildLinearPairModel({
    pairCoefficients: new Float64Array(PAIR_TABLE_SIZE),
    distanceCoefficient: 0,
    intercept: minutes,
  });
  const card: TModelCard = {
    schemaVersion: 1,
    name,
    version,
    createdAt: new Date().toISOString(),
    sha256: sha256Hex(onnx),
    ...linearPairCardIo(),
    metrics: {},
  };
  return { onnx, card };
}

const ride = ridesToColumns([{ PULocationID: 10, DOLocationID: 50, trip_distance: 4 }]);

let database: TTestDatabase;
let db: TDb;
let storeDir: string;
beforeAll(async () => {
  database = await createMigratedTestDatabase();
  db = createDbClient(database.url, { max: 4 });
  storeDir = await mkdtemp(path.join(tmpdir(), 'tripcast-store-'));
});
afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
  await rm(storeDir, { recursive: true, force: true });
});

describe('model registry on a local folder store', () => {
  it('registers, promotes one production version, rolls back, and audits who did it', async () => {
    const name = 'registry_test';
    const context = { db, storeUri: storeDir };
    const v1 = await registerModel({
      ...context,
      ...constantModel(name, 'v1', 11),
      actor: 'alice',
    });
    expect(v1).toMatchObject({
      stage: 'candidate',
      createdBy: 'alice',
      artifactUri: modelArtifactUri(storeDir, name, 'v1'),
    });
    expect(await objectExists(path.join(storeDir, 'models', name, 'v1', 'model.onnx'))).toBe(true);
    await expect(
      registerModel({ ...context, ...constantModel(name, 'v1', 11), actor: 'alice' }),
    ).rejects.toThrow(/already has a version v1/);
    await registerModel({ ...context, ...constantModel(name, 'v2', 22), actor: 'bob' });

    expect(await resolveProductionModel(db, name)).toBeNull();
    await promoteModel(db, { name, version: 'v1', actor: 'alice' });
    const promoted = await promoteModel(db, { name, version: 'v2', actor: 'bob' });
    expect(promoted).toMatchObject({ stage: 'production', promotedBy: 'bob' });
    const versions = await listModelVersions(db, name);
    expect(versions.filter((v) => v.stage === 'production').map((v) => v.version)).toEqual(['v2']);

    expect(promoted.promotedVia).toBe('promote');
    expect((await findRollbackTarget(db, name))?.version).toBe('v1');
    const rolledBack = await rollbackModel(db, { name, actor: 'carol' });
    expect(rolledBack).toMatchObject({ version: 'v1', promotedBy: 'carol', promotedVia: 'rollback' });
    expect((await resolveProductionModel(db, name))?.version).toBe('v1');
    const audit = await listAuditLog(db, { limit: 20, targetType: 'model_version' });
    const actions = audit.items
      .filter((a) => a.targetId?.startsWith(`${name}@`))
      .map((a) => `${a.action} ${a.targetId} by ${a.actor}`);
    // A rollback is one act: one `model.rollback` row naming where it came from, no `model.promote`.
    expect(actions).toEqual([
      `model.rollback ${name}@v1 by carol`,
      `model.promote ${name}@v2 by bob`,
      `model.promote ${name}@v1 by alice`,
      `model.register ${name}@v2 by bob`,
      `model.register ${name}@v1 by alice`,
    ]);
    expect(audit.items[0]?.details).toEqual({
      previous: 'v2',
      previousStage: 'archived',
      fromStage: 'archived',
    });
  });

  it('refuses to register a card that does not describe the bytes', async () => {
    const { onnx, card } = constantModel('registry_test', 'bad', 1);
    await expect(
      registerModel({
        db,
        storeUri: storeDir,
        onnx,
        card: { ...card, sha256: 'a'.repeat(64) },
        actor: 't',
      }),
    ).rejects.toThrow(/does not match/);
  });

  it('the watcher picks up a promotion within seconds, without a restart', async () => {
    const name = 'watched_model';
    const context = { db, storeUri: storeDir };
    await registerModel({ ...context, ...constantModel(name, 'a', 5), actor: 't' });
    await registerModel({ ...context, ...constantModel(name, 'b', 7), actor: 't' });
    await promoteModel(db, { name, version: 'a', actor: 't' });
    const changes: string[] = [];
    const watcher = createProductionModelWatcher({
      db,
      name,
      intervalMs: 200,
      retireAfterMs: 100,
      onChange: ({ model }) => changes.push(model.version),
    });
    try {
      const first = await watcher.ready;
      expect(first.version).toBe('a');
      expect((await first.predict(ride))[0]).toBeCloseTo(5, 5);

      await promoteModel(db, { name, version: 'b', actor: 't' });
      const started = Date.now();
      while (watcher.current().version !== 'b' && Date.now() - started < 10_000)
        await new Promise((r) => setTimeout(r, 50));
      expect(watcher.current().version).toBe('b');
      expect((await watcher.current().predict(ride))[0]).toBeCloseTo(7, 5);
      expect(changes).toEqual(['a', 'b']);
    } finally {
      await watcher.close();
    }
  });
});

describe('s3:// store (s3rver)', () => {
  it('registers into a bucket and loads the model back through the SDK', async () => {
    const aws = getTestAws();
    const bucket = await createTestBucket();
    const s3: TS3Options = {
      endpoint: aws.s3.endpoint,
      region: aws.region,
      credentials: aws.credentials,
    };
    const storeUri = `s3://${bucket}/tripcast`;
    const row = await registerModel({
      db,
      storeUri,
      s3,
      ...constantModel('s3_model', '1', 9.5),
      actor: 't',
    });
    expect(row.artifactUri).toBe(`s3://${bucket}/tripcast/models/s3_model/1`);
    const model = await loadModel(row.artifactUri, { s3 });
    expect((await model.predict(ride))[0]).toBeCloseTo(9.5, 5);
    await model.close();
    await expect(loadModel(`s3://${bucket}/tripcast/models/s3_model/404`, { s3 })).rejects.toThrow(
      /not found: /,
    );
  });
});

describe('ensureDefaultModel (first start)', () => {
  it('trains on a generated month when no data and no download, then is a no-op', async () => {
    const logs: string[] = [];
    const first = await ensureDefaultModel({
      db,
      storeUri: storeDir,
      name: 'default_model',
      allowDownload: false,
      generatedRows: 20_000,
      log: (m) => logs.push(m),
    });
    expect(first).toMatchObject({ action: 'trained', source: 'generated' });
    expect(first.row.stage).toBe('production');
    const card = first.row.card as TModelCard;
    expect(card.training?.trainData[0]?.isSynthetic).toBe(true);
    expect(card.metrics.validation?.rmse).toBeGreaterThan(0);
    expect(
      await objectExists(path.join(storeDir, 'trip-data', 'green_tripdata_2021-01.parquet')),
    ).toBe(true);
    // Two first starts at once: one trains, the other waits and finds its production version.
    const [a, b] = await Promise.all(
      ['race_a', 'race_b'].map((actor) =>
        ensureDefaultModel({
          db,
          storeUri: storeDir,
          name: 'raced_model',
          actor,
          allowDownload: false,
          generatedRows: 5_000,
          seedTripData: false,
          log: () => {},
        }),
      ),
    );
    expect([a!.action, b!.action].sort()).toEqual(['existing', 'trained']);
    expect(await listModelVersions(db, 'raced_model')).toHaveLength(1);
    const second = await ensureDefaultModel({
      db,
      storeUri: storeDir,
      name: 'default_model',
      allowDownload: false,
      log: (m) => logs.push(m),
    });
    expect(second).toMatchObject({ action: 'existing' });
    expect(second.row.version).toBe(first.row.version);
  });

  const sharedDir = path.dirname(sharedDataPath('green_tripdata_2021-01.parquet'));
  it.skipIf(!hasSharedData('green_tripdata_2021-01.parquet'))(
    `trains on the month in TLC_DATA_DIR (${sharedDir})`,
    async () => {
      const result = await ensureDefaultModel({
        db,
        storeUri: storeDir,
        name: 'real_default',
        tlcDataDir: sharedDir,
        seedTripData: false,
        log: () => {},
      });
      expect(result).toMatchObject({ action: 'trained', source: 'tlc-data-dir' });
      const card = result.row.card as TModelCard;
      expect(card.training?.trainData[0]).toMatchObject({
        taxiType: 'green',
        year: 2021,
        month: 1,
        rowsRead: 76_518,
        rowsUsed: 73_908,
        isSynthetic: false,
      });
      // The default recipe, validated on the next month at hand (2021-03: the shared split), so
      // the console's Models card shows validation metrics rather than "—".
      expect(card.training?.recipe).toBe('zones');
      expect(card.training?.validationData).toMatchObject({ year: 2021, month: 3 });
      expect(card.metrics.validation?.rmse).toBeLessThanOrEqual(5.65);
    },
  );

  it.skipIf(!hasSharedData('green_tripdata_2021-01.parquet'))(
    'downloads the TLC month when allowed, and falls back to a generated month when the download fails',
    async () => {
      // A local stand-in for d37ci6vzurychx.cloudfront.net serving the real January (February is absent: 404).
      const requests: string[] = [];
      const server = createServer((request, response) => {
        requests.push(request.url ?? '');
        if (request.url === '/trip-data/green_tripdata_2021-01.parquet') {
          response.writeHead(200, { 'content-type': 'application/octet-stream' });
          createReadStream(sharedDataPath('green_tripdata_2021-01.parquet')).pipe(response);
        } else {
          response.writeHead(404).end();
        }
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      try {
        const downloaded = await ensureDefaultModel({
          db,
          storeUri: storeDir,
          name: 'downloaded_default',
          allowDownload: true,
          tlcBaseUrl: `http://127.0.0.1:${port}/trip-data`,
          seedTripData: false,
          log: () => {},
        });
        expect(downloaded).toMatchObject({ action: 'trained', source: 'tlc-download' });
        expect((downloaded.row.card as TModelCard).training?.trainData[0]).toMatchObject({
          uri: `http://127.0.0.1:${port}/trip-data/green_tripdata_2021-01.parquet`,
          rowsRead: 76_518,
        });
        expect(requests).toEqual([
          '/trip-data/green_tripdata_2021-01.parquet',
          '/trip-data/green_tripdata_2021-02.parquet',
        ]);

        const logs: string[] = [];
        const fallback = await ensureDefaultModel({
          db,
          storeUri: storeDir,
          name: 'fallback_default',
          allowDownload: true,
          tlcBaseUrl: `http://127.0.0.1:${port}/missing`,
          generatedRows: 5_000,
          seedTripData: false,
          log: (m) => logs.push(m),
        });
        expect(fallback).toMatchObject({ action: 'trained', source: 'generated' });
        expect(logs.join('\n')).toMatch(
          /TLC download failed \(not found: http:\/\/127\.0\.0\.1:\d+\/missing\/green_tripdata_2021-01\.parquet\); using a generated month/,
        );
      } finally {
        server.close();
      }
    },
  );

});

describe('challengers (production + up to three per name)', () => {
  it('challengers: at most three, added, removed and promoted with audit; the old production archived or kept as a challenger', async () => {
    const name = 'challenged';
    const context = { db, storeUri: storeDir };
    for (const [i, v] of ['p', 'c1', 'c2', 'c3', 'c4'].entries())
      await registerModel({ ...context, ...constantModel(name, v, 10 + i), actor: 't' });
    await promoteModel(db, { name, version: 'p', actor: 't' });
    await addChallenger(db, { name, version: 'c1', actor: 'ann' });
    await addChallenger(db, { name, version: 'c2', actor: 'ann' });
    await addChallenger(db, { name, version: 'c3', actor: 'ann' });
    await expect(addChallenger(db, { name, version: 'c4', actor: 'ann' })).rejects.toThrow(
      /already has 3 challengers/,
    );
    await expect(addChallenger(db, { name, version: 'p', actor: 'ann' })).rejects.toThrow(
      /in production/,
    );
    await expect(addChallenger(db, { name, version: 'c1', actor: 'ann' })).rejects.toThrow(
      /already a challenger/,
    );
    let serving = await resolveServingModels(db, name);
    expect(serving.production?.version).toBe('p');
    expect(serving.challengers.map((c) => c.version)).toEqual(['c1', 'c2', 'c3']);

    // A full bench: keeping the old production as a challenger takes the promoted one's place.
    await promoteModel(db, { name, version: 'c1', actor: 'bea', previousStage: 'challenger' });
    serving = await resolveServingModels(db, name);
    expect(serving.production?.version).toBe('c1');
    expect(serving.challengers.map((c) => c.version).sort()).toEqual(['c2', 'c3', 'p']);
    // ...but a candidate promoted over a full bench cannot push production onto it.
    await expect(
      promoteModel(db, { name, version: 'c4', actor: 'bea', previousStage: 'challenger' }),
    ).rejects.toThrow(/cannot become one/);

    await removeChallenger(db, { name, version: 'c2', actor: 'cid' });
    await expect(removeChallenger(db, { name, version: 'c2', actor: 'cid' })).rejects.toThrow(
      /not a challenger/,
    );
    await promoteModel(db, { name, version: 'c3', actor: 'dee' });
    serving = await resolveServingModels(db, name);
    expect(serving.production?.version).toBe('c3');
    expect(serving.challengers.map((c) => c.version)).toEqual(['p']);
    const stages = Object.fromEntries(
      (await listModelVersions(db, name)).map((row) => [row.version, row.stage]),
    );
    expect(stages).toEqual({ p: 'challenger', c1: 'archived', c2: 'archived', c3: 'production', c4: 'candidate' });

    const audit = await listAuditLog(db, { limit: 50, targetType: 'model_version' });
    const actions = audit.items
      .filter((a) => a.targetId?.startsWith(`${name}@`) && a.action !== 'model.register')
      .map((a) => `${a.action} ${a.targetId} by ${a.actor}`)
      .reverse();
    expect(actions).toEqual([
      `model.promote ${name}@p by t`,
      `model.challenger.add ${name}@c1 by ann`,
      `model.challenger.add ${name}@c2 by ann`,
      `model.challenger.add ${name}@c3 by ann`,
      `model.promote ${name}@c1 by bea`,
      `model.challenger.remove ${name}@c2 by cid`,
      `model.promote ${name}@c3 by dee`,
    ]);
    const promotion = audit.items.find((a) => a.targetId === `${name}@c1` && a.action === 'model.promote');
    expect(promotion?.details).toEqual({ previous: 'p', previousStage: 'challenger', fromStage: 'challenger' });
  });

  it('the watcher loads challengers, follows added and removed ones, and reports one that fails to load', async () => {
    const name = 'watched_challengers';
    const context = { db, storeUri: storeDir };
    await registerModel({ ...context, ...constantModel(name, 'prod', 5), actor: 't' });
    await registerModel({ ...context, ...constantModel(name, 'good', 6), actor: 't' });
    await registerModel({ ...context, ...constantModel(name, 'broken', 8), actor: 't' });
    // The broken one's artifact no longer matches its registry sha256: loading it must fail.
    await writeFile(path.join(storeDir, 'models', name, 'broken', 'model.onnx'), 'not a model');
    await promoteModel(db, { name, version: 'prod', actor: 't' });
    await addChallenger(db, { name, version: 'good', actor: 't' });
    await addChallenger(db, { name, version: 'broken', actor: 't' });
    const watcher = createProductionModelWatcher({
      db,
      name,
      intervalMs: 200,
      retireAfterMs: 100,
      challengers: true,
    });
    const waitFor = async (ok: () => boolean) => {
      const started = Date.now();
      while (!ok() && Date.now() - started < 10_000) await new Promise((r) => setTimeout(r, 50));
      expect(ok()).toBe(true);
    };
    try {
      await watcher.ready;
      await waitFor(() => watcher.challengers().length === 2);
      const [good, broken] = watcher.challengers();
      expect(good).toMatchObject({ version: 'good', error: null });
      expect((await good!.model!.predict(ride))[0]).toBeCloseTo(6, 5);
      expect(broken).toMatchObject({ version: 'broken', model: null });
      expect(broken!.error).toMatch(/onnx|model|sha256|protobuf/i);
      expect(watcher.current().version).toBe('prod');

      await removeChallenger(db, { name, version: 'good', actor: 't' });
      await waitFor(() => watcher.challengers().length === 1);
      expect(watcher.challengers()[0]?.version).toBe('broken');
    } finally {
      await watcher.close();
    }
  });
});
