import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildE2eModel } from '../../../../e2e/support/models';
import { encodeOnnxModel } from '@tripcast/model/onnx';
import { generateTripMonth } from '@tripcast/model/trips';
import { sha256Hex } from '@tripcast/model/runtime';
import { createProductionModelWatcher, type TProductionModelWatcher } from '@tripcast/model/store';
import { createTestConsole, type TTestConsole } from '../../testing/context';
import { createPgPool } from '@tripcast/db/client';
import { reportChallengerFaults } from '@tripcast/db/queries/challenger-faults';

const NAME = 'ride_duration_prediction_model';
const v1 = buildE2eModel({ name: NAME, version: 't-v1', intercept: 5, perMile: 3 });
const v2 = buildE2eModel({ name: NAME, version: 't-v2', intercept: 8, perMile: 2 });

function uploadForm(
  model: { onnx: Uint8Array; card: object },
  card: string = JSON.stringify(model.card),
) {
  const form = new FormData();
  form.set('onnx', new File([model.onnx as Uint8Array<ArrayBuffer>], 'model.onnx'));
  form.set('card', new File([card], 'card.json'));
  return form;
}

describe('models router and live prediction (real onnxruntime, real object store folder)', () => {
  let t: TTestConsole;
  let store: string;
  let watcher: TProductionModelWatcher | undefined;
  beforeAll(async () => {
    store = fs.mkdtempSync(path.join(os.tmpdir(), 'tripcast-console-models-'));
    // The store's months are listed through the scorer's env (read once): the same store.
    process.env.OBJECT_STORE_URI = store;
    t = await createTestConsole({
      storeUri: store,
      getModelWatcher: () => {
        // A long interval: the test proves promotions take effect through refresh(), not a lucky tick.
        watcher ??= createProductionModelWatcher({
          db: t.db, // called after createTestConsole resolved
          name: NAME,
          intervalMs: 60_000,
          challengers: true, // as the console's own watcher
        });
        return Promise.resolve(watcher);
      },
    });
  });
  afterAll(async () => {
    await watcher?.close();
    await t.close();
    fs.rmSync(store, { recursive: true, force: true });
  });

  it('registers an uploaded model after loading and test-scoring it, as a candidate with its artifacts stored', async () => {
    const result = await t.caller.models.register(uploadForm(v1));
    expect(result.version).toBe('t-v1');
    expect(result.probe.map((m) => Math.round(m * 10) / 10)).toEqual(
      [5 + 3 * 1.2, 5 + 3 * 2.5, 5 + 3 * 17.8].map((m) => Math.round(m * 10) / 10),
    );
    expect(fs.existsSync(path.join(store, 'models', NAME, 't-v1', 'model.onnx'))).toBe(true);
    const { versions } = await t.caller.models.list();
    expect(versions.map((v) => [v.version, v.stage])).toEqual([['t-v1', 'candidate']]);
  });

  it('refuses an upload whose card does not match the file, or is not JSON, or repeats a version', async () => {
    await expect(
      t.caller.models.register(
        uploadForm(v2, JSON.stringify({ ...v2.card, sha256: 'a'.repeat(64) })),
      ),
    ).rejects.toThrow(/does not match the card/);
    await expect(t.caller.models.register(uploadForm(v2, '{not json'))).rejects.toThrow(
      /not valid JSON/,
    );
    await expect(t.caller.models.register(uploadForm(v1))).rejects.toThrow(/already registered/);
    const broken = { onnx: new Uint8Array([1, 2, 3]), card: { ...v2.card, sha256: '' } };
    const brokenCard = JSON.stringify({
      ...v2.card,
      sha256: (await import('node:crypto')).createHash('sha256').update(broken.onnx).digest('hex'),
    });
    await expect(t.caller.models.register(uploadForm(broken, brokenCard))).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
    await expect(t.caller.models.register(uploadForm(broken, brokenCard))).rejects.toThrow(
      /does not load/,
    );
  });

  it('refuses a model whose weights are external data (it would read files next to the console), and a version that is not one path segment', async () => {
    // W is "external data" at a path relative to this process's working folder, and also a graph
    // input so onnxruntime does not fold it: without the refusal the upload was accepted and the
    // probe rides came back as distance x 12.5, the float stored in that file.
    const secretFile = `.tripcast-upload-probe-${process.pid}.bin`;
    fs.writeFileSync(secretFile, new Uint8Array(Float32Array.from([12.5]).buffer));
    try {
      const onnx = encodeOnnxModel({
        name: 'reads_a_file',
        inputs: [
          { name: 'trip_distance', type: 'float', shape: ['N'] },
          { name: 'W', type: 'float', shape: [1] },
        ],
        outputs: [{ name: 'duration', type: 'float', shape: ['N'] }],
        initializers: [
          {
            name: 'W',
            type: 'float',
            dims: [1],
            values: [0],
            externalData: { location: secretFile, offset: 0, length: 4 },
          },
        ],
        nodes: [{ opType: 'Mul', inputs: ['trip_distance', 'W'], outputs: ['duration'] }],
      });
      const card = {
        ...v2.card,
        version: 't-external',
        sha256: sha256Hex(onnx),
        inputs: [
          { name: 'trip_distance', feature: 'trip_distance', type: 'float32', isColumn: false },
        ],
        output: { name: 'duration', unit: 'minutes' },
      };
      const upload = t.caller.models.register(uploadForm({ onnx, card }));
      await expect(upload).rejects.toMatchObject({ code: 'BAD_REQUEST' });
      await expect(t.caller.models.register(uploadForm({ onnx, card }))).rejects.toThrow(
        new RegExp(
          `external data.*initializer "W" \\(location ${secretFile.replaceAll('.', '\\.')}\\)`,
        ),
      );
      expect(fs.existsSync(path.join(store, 'models', NAME, 't-external'))).toBe(false);
    } finally {
      fs.rmSync(secretFile, { force: true });
    }

    for (const version of ['..', 'a/b', '', 'a\0b']) {
      const card = JSON.stringify({ ...v2.card, version });
      await expect(t.caller.models.register(uploadForm(v2, card)), version).rejects.toThrow(
        /card\.json: version: version must be/,
      );
    }
    // Unchecked, `..` was accepted and wrote model.onnx into models/ itself, above the model's folder.
    expect(fs.existsSync(path.join(store, 'models', 'model.onnx'))).toBe(false);
    expect(fs.existsSync(path.join(store, 'models', 'card.json'))).toBe(false);
    await expect(t.caller.models.promote({ version: '../x' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
  });

  it('answers a clear error for a live prediction while nothing is in production', async () => {
    const call = t.caller.predictions.predict({
      PULocationID: 43,
      DOLocationID: 132,
      trip_distance: 2,
    });
    await expect(call).rejects.toMatchObject({ code: 'PRECONDITION_FAILED' });
    await expect(call).rejects.toThrow(/No version of .* is in production yet/);
  });

  it('promotes, predicts with the production version (and records it), then follows a promotion and a rollback', async () => {
    await t.caller.models.promote({ version: 't-v1' });
    const first = await t.caller.predictions.predict({
      PULocationID: 43,
      DOLocationID: 132,
      trip_distance: 2,
    });
    expect(first).toMatchObject({ modelVersion: 't-v1', modelName: NAME });
    expect(first.durationMinutes).toBeCloseTo(v1.minutesFor(2), 4);
    expect(first.latencyMs).toBeGreaterThan(0);

    await t.caller.models.register(uploadForm(v2));
    await t.caller.models.promote({ version: 't-v2' });
    // This process serves predictions: the promotion switches them at once, not at the next tick.
    expect(
      (
        await t.caller.predictions.predict({
          PULocationID: 43,
          DOLocationID: 132,
          trip_distance: 2,
        })
      ).modelVersion,
    ).toBe('t-v2');
    const stages = Object.fromEntries(
      (await t.caller.models.list()).versions.map((v) => [v.version, v.stage]),
    );
    expect(stages).toEqual({ 't-v1': 'archived', 't-v2': 'production' });

    // The page names the version a rollback puts back, and the server refuses another one.
    expect((await t.caller.models.list()).rollbackTarget).toBe('t-v1');
    await expect(t.caller.models.rollback({ toVersion: 't-v0' })).rejects.toThrow(
      /puts back t-v1, not t-v0/,
    );
    expect(await t.caller.models.rollback({ toVersion: 't-v1' })).toEqual({ version: 't-v1' });
    const restored = (await t.caller.models.list()).versions.find((v) => v.version === 't-v1');
    expect(restored).toMatchObject({ stage: 'production', promotedVia: 'rollback' });
    expect(
      (
        await t.caller.predictions.predict({
          PULocationID: 43,
          DOLocationID: 132,
          trip_distance: 2,
        })
      ).modelVersion,
    ).toBe('t-v1');

    const recent = await t.caller.predictions.recent({ limit: 50 });
    expect(recent[recent.length - 1]).toMatchObject({
      modelVersion: 't-v1',
      puLocationId: 43,
      doLocationId: 132,
      status: 'scored',
    });
    expect(new Set(recent.map((r) => r.modelVersion))).toEqual(new Set(['t-v1', 't-v2']));
    const audit = await t.db.auditLog.findMany({
      select: { action: true },
      orderBy: { id: 'asc' },
    });
    expect(audit.map((a) => a.action)).toEqual([
      'model.register',
      'model.promote',
      'model.register',
      'model.promote',
      'model.rollback', // one row for a rollback, not a promotion plus a rollback
    ]);
  });

  it('refuses to promote an unknown version or the one already in production', async () => {
    await expect(t.caller.models.promote({ version: 'nope' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
    await expect(t.caller.models.promote({ version: 't-v1' })).rejects.toThrow(
      /already in production/,
    );
  });

  it('adds a challenger, compares it with production from the history, promotes it keeping the old production as a challenger, removes that one; all audited', async () => {
    // State from the tests above: t-v1 in production, t-v2 archived.
    await t.caller.models.addChallenger({ version: 't-v2' });
    await expect(t.caller.models.addChallenger({ version: 't-v1' })).rejects.toThrow(
      /in production/,
    );
    const at = new Date();
    const pair = (key: string, prod: number, chal: number) => [
      {
        source: 'online' as const,
        idempotencyKey: key,
        modelName: NAME,
        modelVersion: 't-v1',
        predictedDuration: prod,
        latencyMs: 1,
        createdAt: at,
      },
      {
        source: 'online' as const,
        idempotencyKey: key,
        modelName: NAME,
        modelVersion: 't-v2',
        predictedDuration: chal,
        latencyMs: 3,
        role: 'challenger' as const,
        createdAt: at,
      },
    ];
    await t.db.predictionHistory.createMany({
      data: [...pair('cmp-1', 10, 11), ...pair('cmp-2', 10, 20)],
    });
    // A batch run of 2021-03 scored by both: its per-model figures show month by month.
    const run = await t.db.batchRun.create({
      data: {
        taxiType: 'green',
        year: 2021,
        month: 3,
        inputUri: 'in.parquet',
        trigger: 'cli',
        status: 'succeeded',
        finishedAt: at,
      },
    });
    await t.db.batchRunModelMetrics.createMany({
      data: [
        {
          runKey: run.key,
          modelName: NAME,
          modelVersion: 't-v1',
          role: 'production',
          rowsScored: 10,
          rowsWithActual: 10,
          rmse: 6.5,
          mae: 4,
          bias: 0.5,
        },
        {
          runKey: run.key,
          modelName: NAME,
          modelVersion: 't-v2',
          role: 'challenger',
          rowsScored: 10,
          rowsWithActual: 10,
          rmse: 5.5,
          mae: 3.5,
          bias: -0.25,
        },
      ],
    });
    const compared = await t.caller.models.challengers({
      from: new Date(at.getTime() - 60_000),
      to: new Date(at.getTime() + 60_000),
    });
    expect(compared).toMatchObject({
      production: 't-v1',
      maxChallengers: 3,
      batchMonths: [
        {
          taxiType: 'green',
          year: 2021,
          month: 3,
          modelVersion: 't-v1',
          role: 'production',
          rmse: 6.5,
          runId: run.id,
        },
        {
          taxiType: 'green',
          year: 2021,
          month: 3,
          modelVersion: 't-v2',
          role: 'challenger',
          rmse: 5.5,
          runId: run.id,
        },
      ],
    });
    expect(compared.challengers).toEqual([
      {
        version: 't-v2',
        createdAt: expect.any(Date) as Date,
        agreement: [
          {
            source: 'online',
            pairs: 2,
            meanAbsDiffMinutes: 5.5,
            p95AbsDiffMinutes: expect.closeTo(9.55, 4) as number,
            shareOver5Min: 0.5,
            productionLatencyMs: 1,
            challengerLatencyMs: 3,
          },
        ],
      },
    ]);

    await t.caller.models.promote({ version: 't-v2', previousStage: 'challenger' });
    const stages = Object.fromEntries(
      (await t.caller.models.list()).versions.map((v) => [v.version, v.stage]),
    );
    expect(stages).toEqual({ 't-v1': 'challenger', 't-v2': 'production' });
    await t.caller.models.removeChallenger({ version: 't-v1' });
    await expect(t.caller.models.removeChallenger({ version: 't-v1' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
    const audit = await t.db.auditLog.findMany({
      select: { action: true, targetId: true },
      orderBy: { id: 'asc' },
    });
    expect(audit.slice(-3)).toEqual([
      { action: 'model.challenger.add', targetId: `${NAME}@t-v2` },
      { action: 'model.promote', targetId: `${NAME}@t-v2` },
      { action: 'model.challenger.remove', targetId: `${NAME}@t-v1` },
    ]);
  });

  it('compares registered versions on a month of the store (analysts), and refuses a month or version it lacks', async () => {
    await generateTripMonth({
      taxiType: 'green',
      year: 2024,
      month: 2,
      rows: 5_000,
      seed: 11,
      outPath: path.join(store, 'trip-data'),
    });
    const comparison = await t.caller.models.compare({
      taxiType: 'green',
      year: 2024,
      month: 2,
      versions: ['t-v1', 't-v2'],
    });
    expect(comparison.month).toBe('green 2024-02');
    expect('file' in comparison).toBe(false); // a server path: not for the page
    expect(comparison.versions.map((v) => v.label)).toEqual([
      expect.stringMatching(/^t-v1 /),
      expect.stringMatching(/^t-v2 /),
    ]);
    expect(comparison.rowsCompared).toBeGreaterThan(3_000);
    // 5 + 3/mi against 8 + 2/mi: they differ on every ride, by |3 - d| minutes.
    expect(comparison.pairs[0]!.meanAbsDifference).toBeGreaterThan(0.5);
    await expect(
      t.caller.models.compare({ taxiType: 'green', year: 2019, month: 2, versions: ['t-v1'] }),
    ).rejects.toThrow(/No trip data for green 2019-02 in the store/);
    const unknown = t.caller.models.compare({
      taxiType: 'green',
      year: 2024,
      month: 2,
      versions: ['nope'],
    });
    await expect(unknown).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(unknown).rejects.toThrow(/no version nope/);
  });

  it('shows a challenger this process could not load, with why (production keeps answering)', async () => {
    const v4 = buildE2eModel({ name: NAME, version: 't-v4', intercept: 9, perMile: 1 });
    await t.caller.models.register(uploadForm(v4));
    // The artifact changes after registration: the registry's sha256 no longer matches it.
    fs.writeFileSync(path.join(store, 'models', NAME, 't-v4', 'model.onnx'), 'tampered');
    // Adding it refreshes this process's watcher, which fails to load it.
    await t.caller.models.addChallenger({ version: 't-v4' });
    const compared = await t.caller.models.challengers({ from: new Date(0), to: new Date() });
    expect(compared.failing).toEqual([
      { version: 't-v4', where: 'online', error: expect.stringMatching(/sha256/) as string },
    ]);
    // A stream consumer (another process) reports the same challenger failing to score.
    const pool = createPgPool(t.databaseUrl, { max: 1 });
    try {
      await reportChallengerFaults(pool, {
        source: 'stream',
        instance: 'consumer-a',
        faults: [{ modelVersion: 't-v4', error: 'failed to score: boom' }],
      });
    } finally {
      await pool.end();
    }
    const withStream = await t.caller.models.challengers({ from: new Date(0), to: new Date() });
    expect(withStream.failing).toEqual([
      { version: 't-v4', where: 'online', error: expect.stringMatching(/sha256/) as string },
      { version: 't-v4', where: 'stream', error: 'failed to score: boom' },
    ]);
    expect(compared.challengers.map((c) => c.version)).toContain('t-v4');
    await t.caller.models.removeChallenger({ version: 't-v4' });
  });
});
