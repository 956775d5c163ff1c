import { createDbClient } from '@tripcast/db/client';
import { promoteModel, registerModel } from '@tripcast/model/store';
import { ZModelCard } from '@tripcast/model';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createRegistryModelSource, NoProductionModelError } from './model-source';
import { buildTestModelFiles, createMigratedDatabase, silentLog, waitFor } from './testing/fixtures';

describe('createRegistryModelSource (registry in Postgres, object store folder, real onnxruntime)', () => {
  let db: Awaited<ReturnType<typeof createMigratedDatabase>>;
  let prisma: ReturnType<typeof createDbClient>;
  let storeUri: string;
  beforeAll(async () => {
    db = await createMigratedDatabase();
    prisma = createDbClient(db.url, { max: 2 });
    storeUri = await mkdtemp(path.join(tmpdir(), 'tripcast-store-'));
  });
  afterAll(async () => {
    await prisma.$disconnect();
    await db.drop();
    await rm(storeUri, { recursive: true, force: true });
  });

  async function register(version: string, intercept: number) {
    const { onnx, card } = buildTestModelFiles(version, intercept);
    await registerModel({ db: prisma, storeUri, onnx, card: ZModelCard.parse(card), actor: 'test' });
  }

  it('says clearly when nothing is in production, then serves each promotion without restart', async () => {
    const source = await createRegistryModelSource({ databaseUrl: db.url, name: 'ride_duration_prediction_model', intervalMs: 100, log: silentLog });
    const ride = { pu: Int32Array.of(1), do: Int32Array.of(2), distance: Float32Array.of(1) };
    const version = () => {
      try {
        return source.current().version;
      } catch (error) {
        return (error as Error).name;
      }
    };
    try {
      expect(() => source.current()).toThrow(NoProductionModelError);
      await register('v1', 5);
      await register('v2', 100);
      await promoteModel(prisma, { name: 'ride_duration_prediction_model', version: 'v1', actor: 'test' });
      await waitFor(() => Promise.resolve(version()), (v) => v === 'v1', { what: 'v1 served' });
      expect((await source.current().predict(ride))[0]).toBe(7);

      await promoteModel(prisma, { name: 'ride_duration_prediction_model', version: 'v2', actor: 'test' });
      await waitFor(() => Promise.resolve(version()), (v) => v === 'v2', { what: 'v2 served' });
      expect((await source.current().predict(ride))[0]).toBe(102);
    } finally {
      await source.close();
    }
  });
});
