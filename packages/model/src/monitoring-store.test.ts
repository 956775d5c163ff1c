import { describe, expect, it } from 'vitest';

import { listOpenAlerts } from '@tripcast/db/queries/alerts';
import { listModelDrift } from '@tripcast/db/queries/drift';
import { insertHistoryBatch, type THistoryInput } from '@tripcast/db/queries/history';
import { getStoredModelProfile } from '@tripcast/db/queries/model-profiles';
import { useMigratedTestDatabase } from '@tripcast/db/testing';

import { ZModelCard } from './model-card';
import {
  recordQualityAlert,
  createRunDriftTracker,
  measureHistoryDrift,
  resolveReferenceProfile,
} from './monitoring-store';
import { createLoadedModel, type TLoadedModel } from './runtime';
import { hasSharedData, sharedDataPath } from './testing/shared-data';
import { isTrainingRow, trainModel } from './training';
import { readTripMonth } from './trips/read';

const fileOf = (month: string) => sharedDataPath(`green_tripdata_${month}.parquet`);
const hasData = ['2021-01', '2021-03', '2024-01'].every((m) =>
  hasSharedData(`green_tripdata_${m}.parquet`),
);

/** Scores a month the way the batch scorer does (course rows), feeding the tracker batch by batch. */
async function trackMonth(
  tracker: ReturnType<typeof createRunDriftTracker>,
  model: TLoadedModel,
  file: string,
) {
  for await (const chunk of readTripMonth(file)) {
    const keep = Array.from({ length: chunk.length }, (_, i) => i).filter((i) =>
      isTrainingRow(chunk, i),
    );
    const rows = {
      pu: Int32Array.from(keep, (i) => chunk.pu[i]!),
      do: Int32Array.from(keep, (i) => chunk.do[i]!),
      distance: Float64Array.from(keep, (i) => chunk.distance[i]!),
      pickupMs: Float64Array.from(keep, (i) => chunk.pickupMs[i]!),
    };
    tracker.add({ ...rows, predicted: await model.predict(rows) });
  }
}

describe.skipIf(!hasData)('monitoring against the database (shared green months)', () => {
  const suite = useMigratedTestDatabase();

  it('records run drift with its alert once; a card without a profile gets the same one from its training month', async () => {
    const trained = await trainModel({
      recipe: 'course',
      trainFiles: [fileOf('2021-01')],
      version: 'v-drift',
      now: new Date('2026-12-04T00:00:00Z'),
    });
    const model = await createLoadedModel(trained.onnx, trained.card);
    try {
      for (const [runId, month] of [
        ['run-2021-03', '2021-03'],
        ['run-2024-01', '2024-01'],
      ] as const) {
        const tracker = createRunDriftTracker({ pool: suite.pool, model });
        await trackMonth(tracker, model, fileOf(month));
        const report = await tracker.record({
          runId,
          periodStart: new Date(`${month}-01T00:00:00Z`),
        });
        expect(report?.status).toBe(month === '2024-01' ? 'alert' : 'watch');
      }
      const rows = await listModelDrift(suite.db, { modelName: trained.card.name });
      expect(rows.map((r) => [r.scope, r.status])).toEqual([
        ['run-2021-03', 'watch'],
        ['run-2024-01', 'alert'],
      ]);
      expect(rows[0]!.maxPsi).toBeLessThan(rows[1]!.maxPsi);
      const open = await listOpenAlerts(suite.db);
      expect(open.map((a) => [a.scope, a.severity])).toEqual([
        ['run-2024-01', 'alert'],
        ['run-2021-03', 'watch'],
      ]);
      expect(open[0]!.message).toMatch(/pickup zone mix PSI 1\.\d+ >= alert 0\.25/);

      // Measuring the same run again replaces its drift row and keeps one alert.
      const again = createRunDriftTracker({ pool: suite.pool, model });
      await trackMonth(again, model, fileOf('2024-01'));
      await again.record({ runId: 'run-2024-01', periodStart: new Date('2024-01-01T00:00:00Z') });
      expect(await listModelDrift(suite.db, { modelName: trained.card.name })).toHaveLength(2);
      expect(await listOpenAlerts(suite.db)).toHaveLength(2);

      // A version trained before profiles: the same reference, computed from its training month on first use, stored once.
      const { profile: _dropped, ...older } = trained.card;
      const oldCard = ZModelCard.parse({ ...older, version: 'v-old' });
      const first = await resolveReferenceProfile({ pool: suite.pool, card: oldCard, model });
      expect(first).toMatchObject({ origin: 'computed' });
      expect(first.profile).toEqual({ ...trained.card.profile });
      expect(
        (
          await getStoredModelProfile(suite.pool, {
            modelName: oldCard.name,
            modelVersion: 'v-old',
          })
        )?.profile,
      ).toEqual(trained.card.profile);

      // One whose month is gone: none, with the reason, stored (not retried by every run).
      const goneCard = ZModelCard.parse({
        ...older,
        version: 'v-gone',
        training: {
          ...older.training!,
          trainData: [
            {
              ...older.training!.trainData[0]!,
              uri: '/nonexistent/green_tripdata_2019-01.parquet',
            },
          ],
        },
      });
      const gone = await resolveReferenceProfile({ pool: suite.pool, card: goneCard, model });
      expect(gone.profile).toBeNull();
      expect(gone.profile === null && gone.reason).toMatch(
        /^training month not readable: .*nonexistent/,
      );
      expect(
        await getStoredModelProfile(suite.pool, {
          modelName: goneCard.name,
          modelVersion: 'v-gone',
        }),
      ).toMatchObject({ profile: null });
    } finally {
      await model.close();
    }
  });

  it('measures a day of online and stream predictions per version, without pickup times', async () => {
    const trained = await trainModel({
      recipe: 'course',
      trainFiles: [fileOf('2021-01')],
      name: 'history_model',
      version: 'h1',
      now: new Date('2026-12-04T00:00:00Z'),
    });
    const rows: THistoryInput[] = [];
    const at = new Date('2026-12-03T12:00:00Z');
    // Online: rides like the training month (pairs it saw). Stream: one unseen pair only.
    for (let i = 0; i < 600; i++) {
      rows.push({
        source: 'online',
        idempotencyKey: `o${i}`,
        puLocationId: 74,
        doLocationId: 75,
        tripDistance: 1 + (i % 3),
        predictedDuration: 8,
        modelName: 'history_model',
        modelVersion: 'h1',
        createdAt: at,
      });
      rows.push({
        source: 'stream',
        idempotencyKey: `s${i}`,
        puLocationId: 1,
        doLocationId: 1,
        tripDistance: 25,
        predictedDuration: 70,
        modelName: 'history_model',
        modelVersion: 'h1',
        createdAt: at,
      });
    }
    // Another day and a rejected row are not counted.
    rows.push({
      source: 'online',
      idempotencyKey: 'later',
      puLocationId: 1,
      doLocationId: 1,
      tripDistance: 1,
      predictedDuration: 5,
      modelName: 'history_model',
      modelVersion: 'h1',
      createdAt: new Date('2026-12-04T00:00:01Z'),
    });
    rows.push({
      source: 'online',
      idempotencyKey: 'bad',
      status: 'rejected',
      reason: 'x',
      modelName: 'history_model',
      modelVersion: 'h1',
      createdAt: at,
    });
    await insertHistoryBatch(suite.pool, rows);

    const results = await measureHistoryDrift({
      pool: suite.pool,
      day: '2026-12-03',
      getCard: (name, version) =>
        Promise.resolve(name === 'history_model' && version === 'h1' ? trained.card : null),
    });
    expect(results.map((r) => [r.source, r.rows, r.report?.status])).toEqual([
      ['online', 600, 'alert'],
      ['stream', 600, 'alert'],
    ]);
    const [online, stream] = results;
    expect(online!.report!.unseenPairShare).toBe(0);
    expect(stream!.report!.unseenPairShare).toBe(1);
    expect(online!.report!.features.hourOfWeek).toBeNull();
    expect(stream!.report!.features.prediction!.psi).toBeGreaterThan(
      online!.report!.features.prediction!.psi,
    );
    const stored = await listModelDrift(suite.db, { modelName: 'history_model' });
    expect(stored.map((r) => [r.source, r.scope, r.rows])).toEqual([
      ['online', '2026-12-03', 600],
      ['stream', '2026-12-03', 600],
    ]);
    await expect(
      measureHistoryDrift({
        pool: suite.pool,
        day: '2026-13-45',
        getCard: () => Promise.resolve(null),
      }),
    ).rejects.toThrow(/YYYY-MM-DD/);
  });
});

describe('quality alerts', () => {
  const suite = useMigratedTestDatabase();

  it('alerts when a run errs far above the validation RMSE, once per run and version', async () => {
    const base = {
      pool: suite.pool,
      modelName: 'q',
      modelVersion: 'v1',
      role: 'production',
      referenceRmse: 6,
    };
    expect(await recordQualityAlert({ ...base, runId: 'r1', rmse: 6.5 })).toBe('ok');
    expect(await recordQualityAlert({ ...base, runId: 'r2', rmse: 7.5 })).toBe('watch');
    expect(await recordQualityAlert({ ...base, runId: 'r3', rmse: 9.3 })).toBe('alert');
    expect(await recordQualityAlert({ ...base, runId: 'r3', rmse: 9.3 })).toBe('alert');
    expect(
      await recordQualityAlert({ ...base, runId: 'r4', rmse: 50, referenceRmse: null }),
    ).toBeNull();
    const open = await listOpenAlerts(suite.db);
    expect(open.map((a) => [a.kind, a.scope, a.severity])).toEqual([
      ['quality', 'r3', 'alert'],
      ['quality', 'r2', 'watch'],
    ]);
    expect(open[0]!.message).toBe(
      'q v1 (production): alert error on batch run r3: RMSE 9.30 min is 1.55x the validation RMSE 6.00 (alert at 1.5x)',
    );
  });
});
