import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createRegistryModelSource, NoProductionModelError } from './model-source';
import { buildTestModelFiles, createMigratedDatabase, silentLog, waitFor, writeTestModelFolder } from './testing/fixtures';

describe('createRegistryModelSource (model_versions in Postgres, real onnxruntime)', () => {
  let db: Awaited<ReturnType<typeof createMigratedDatabase>>;
  beforeAll(async () => {
    db = await createMigratedDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  async function register(version: string) {
    const folder = await writeTestModelFolder(version);
    const { card } = buildTestModelFiles(version);
    await db.pool.query(
      `INSERT INTO model_versions (id, name, version, artifact_uri, sha256, card, stage)
       VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, 'candidate')`,
      [card.name, version, folder, card.sha256, JSON.stringify(card)],
    );
  }
  // The registry's promotion: one production row per name (production_of is unique).
  async function promote(version: string) {
    await db.pool.query(
      `UPDATE model_versions SET stage = CASE WHEN version = $1 THEN 'production'::"ModelStage" ELSE 'archived'::"ModelStage" END,
              production_of = CASE WHEN version = $1 THEN name END
       WHERE name = 'ride_duration_prediction_model' AND (version = $1 OR stage = 'production')`,
      [version],
    );
  }

  it('says clearly when nothing is in production, then serves a promotion without restart', async () => {
    const source = await createRegistryModelSource({ pool: db.pool, name: 'ride_duration_prediction_model', intervalMs: 100, log: silentLog });
    try {
      expect(() => source.current()).toThrow(NoProductionModelError);
      await register('v1');
      await register('v2');
      await promote('v1');
      await waitFor(() => Promise.resolve(source.current.bind(source)), (get) => { try { return get().version === 'v1'; } catch { return false; } }, { what: 'v1 served' });
      const before = await source.current().predict({ pu: Int32Array.of(1), do: Int32Array.of(2), distance: Float32Array.of(1) });
      expect(before[0]).toBe(7);

      await promote('v2');
      await waitFor(() => Promise.resolve(source.current().version), (version) => version === 'v2', { what: 'v2 served' });
    } finally {
      await source.close();
    }
  });
});
