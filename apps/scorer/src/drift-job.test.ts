// The daily drift job through its CLI (`scorer drift --day`), on a model trained on the shared
// green 2021-01 month and registered in a real store, with online and stream history in Postgres.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { listModelDrift } from '@tripcast/db/queries/drift';
import { insertHistoryBatch, type THistoryInput } from '@tripcast/db/queries/history';
import { useMigratedTestDatabase } from '@tripcast/db/testing';
import { ZModelCard } from '@tripcast/model';
import { registerModel } from '@tripcast/model/store';
import { trainModel } from '@tripcast/model/training';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { previousUtcDay } from './drift-job';
import { cliEnv, runCli } from './testing/cli-harness';
import { hasSharedData, sharedDataPath } from './testing/shared-data';

const TRAIN = 'green_tripdata_2021-01.parquet';
const suite = useMigratedTestDatabase();
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tripcast-drift-job-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('scorer drift', () => {
  it('defaults to the UTC day before', () => {
    expect(previousUtcDay(new Date('2026-12-04T00:30:00Z'))).toBe('2026-12-03');
    expect(previousUtcDay(new Date('2026-03-01T12:00:00Z'))).toBe('2026-02-28');
  });

  it.skipIf(!hasSharedData(TRAIN))(
    'measures each version of a day, first-use profile for an old card, says why when there is none',
    async () => {
      const storeUri = path.join(dir, 'store');
      const trained = await trainModel({
        recipe: 'course',
        trainFiles: [sharedDataPath(TRAIN)],
        version: 'with-profile',
        now: new Date('2026-12-04T00:00:00Z'),
      });
      await registerModel({
        db: suite.db,
        storeUri,
        onnx: trained.onnx,
        card: trained.card,
        actor: 'test',
      });
      // Trained before profiles: the same model without card.profile, its training month readable.
      const { profile: _p, ...older } = trained.card;
      await registerModel({
        db: suite.db,
        storeUri,
        onnx: trained.onnx,
        card: ZModelCard.parse({ ...older, version: 'old' }),
        actor: 'test',
      });
      // And one whose training month is gone.
      const gone = {
        ...older,
        version: 'gone',
        training: {
          ...older.training!,
          trainData: [{ ...older.training!.trainData[0]!, uri: path.join(dir, 'missing.parquet') }],
        },
      };
      await registerModel({
        db: suite.db,
        storeUri,
        onnx: trained.onnx,
        card: ZModelCard.parse(gone),
        actor: 'test',
      });

      const at = new Date('2026-12-03T08:00:00Z');
      const rows: THistoryInput[] = [];
      for (const version of ['with-profile', 'old', 'gone']) {
        for (let i = 0; i < 800; i++) {
          rows.push({
            source: 'online',
            idempotencyKey: `${version}-${i}`,
            puLocationId: 74 + (i % 3),
            doLocationId: 75 + (i % 5),
            tripDistance: 0.5 + (i % 40) / 10,
            predictedDuration: 6 + (i % 20),
            modelName: trained.card.name,
            modelVersion: version,
            createdAt: at,
          });
        }
      }
      await insertHistoryBatch(suite.pool, rows);

      const env = cliEnv({
        DATABASE_URL: suite.url,
        OBJECT_STORE_URI: storeUri,
        TRIPCAST_HOME: dir,
        DRIFT_PSI_ALERT: '5',
        DRIFT_PSI_WATCH: '4',
      });
      const result = await runCli(['drift', '--day', '2026-12-03'], env);
      expect(result.stderr).not.toMatch(/"level":50/);
      expect(result.code).toBe(0);
      const lines = result.stdout.trim().split('\n');
      expect(lines).toHaveLength(3);
      expect(lines.find((l) => l.includes('@gone'))).toMatch(
        /800 rides, not measured: training month not readable/,
      );
      // The thresholds come from the env: with PSI alert at 5, only the unseen-pair share can alert.
      const measured = lines.filter((l) => !l.includes('@gone'));
      for (const line of measured)
        expect(line).toMatch(
          /^2026-12-03 online ride_duration_prediction_model@(with-profile|old) \(production\): 800 rides, (ok|watch|alert), max PSI \d/,
        );
      const stored = await listModelDrift(suite.db, { modelName: trained.card.name });
      expect(stored.map((r) => r.modelVersion).sort()).toEqual(['old', 'with-profile']);
      // The first-use profile equals the card's: same figures for the same rides.
      const [a, b] = stored;
      expect(a!.maxPsi).toBe(b!.maxPsi);
      expect((a!.report as { thresholds: { psiAlert: number } }).thresholds.psiAlert).toBe(5);

      const bad = await runCli(['drift', '--day', '2026-02-30x'], env);
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toMatch(/--day must be a UTC day YYYY-MM-DD/);
    },
  );
});
