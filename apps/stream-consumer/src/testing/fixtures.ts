// Test fixtures: a migrated database, a real ONNX model with known coefficients, and small
// helpers to read what the consumer wrote. Everything is real (Postgres, onnxruntime, kinesalite).
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand } from '@aws-sdk/client-kinesis';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { createPgPool } from '@tripcast/db/client';
import { applyMigrations } from '@tripcast/db/migrate';
import { createTestDatabase } from '@tripcast/local-stack/testing';
import { PAIR_TABLE_SIZE, buildLinearPairModel, linearPairCardIo } from '@tripcast/model/onnx';
import { createLoadedModel, sha256Hex } from '@tripcast/model/runtime';
import type { TLoadedModel } from '@tripcast/model/runtime';
import pino from 'pino';

export const TEST_MODEL_NAME = 'ride_duration_prediction_model';

/** A fresh database with the platform's migrations applied. */
export async function createMigratedDatabase() {
  const database = await createTestDatabase();
  await applyMigrations({ databaseUrl: database.url });
  // The platform's pool, with its listener for idle connections lost: pool.end() resolves once its
  // clients are told to end, before their sockets close, so the DROP ... WITH (FORCE) of drop() can
  // still terminate one (57P01), which a pool without a listener throws as an uncaught error.
  const pool = createPgPool(database.url, { max: 8, applicationName: 'stream-consumer-tests' });
  return {
    url: database.url,
    pool,
    async drop() {
      await pool.end();
      await database.drop();
    },
  };
}

/**
 * The course's model shape (one weight per PU/DO pair + distance coefficient) with weights
 * chosen so a prediction is checkable by hand: duration = intercept + 2 * trip_distance.
 */
export function buildTestModelFiles(version: string, intercept = 5) {
  const onnx = buildLinearPairModel({
    pairCoefficients: new Float64Array(PAIR_TABLE_SIZE),
    distanceCoefficient: 2,
    intercept,
  });
  const card = {
    schemaVersion: 1,
    name: TEST_MODEL_NAME,
    version,
    createdAt: new Date().toISOString(),
    sha256: sha256Hex(onnx),
    ...linearPairCardIo(),
  };
  return { onnx, card };
}

export async function createTestModel(version = 'v1', intercept = 5): Promise<TLoadedModel> {
  const { onnx, card } = buildTestModelFiles(version, intercept);
  return createLoadedModel(onnx, card);
}

/** Writes model.onnx + card.json to a temp folder (what MODEL_LOCATION points at). */
export async function writeTestModelFolder(version = 'v1'): Promise<string> {
  const { onnx, card } = buildTestModelFiles(version);
  const folder = path.join(tmpdir(), `tripcast-model-${version}-${process.pid}-${Date.now()}`);
  await mkdir(folder, { recursive: true });
  await writeFile(path.join(folder, 'model.onnx'), onnx);
  await writeFile(path.join(folder, 'card.json'), JSON.stringify(card));
  return folder;
}

export function rideEvent(rideId: number | string, ride: Partial<{ PULocationID: number; DOLocationID: number; trip_distance: number }> = {}) {
  return { ride: { PULocationID: 130, DOLocationID: 205, trip_distance: 3.5, ...ride }, ride_id: rideId };
}

export const silentLog = pino({ level: 'silent' });

/** Every record on a stream, all shards, from the start (the output stream in tests). */
export async function readAllRecords(kinesis: KinesisClient, streamName: string): Promise<unknown[]> {
  const { Shards = [] } = await kinesis.send(new ListShardsCommand({ StreamName: streamName }));
  const out: unknown[] = [];
  for (const shard of Shards) {
    let { ShardIterator: iterator } = await kinesis.send(
      new GetShardIteratorCommand({ StreamName: streamName, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }),
    );
    while (iterator) {
      const response = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      for (const record of response.Records ?? []) out.push(JSON.parse(Buffer.from(record.Data ?? []).toString('utf8')));
      if (!response.Records?.length) break;
      iterator = response.NextShardIterator;
    }
  }
  return out;
}

export async function waitFor<T>(probe: () => Promise<T>, isDone: (value: T) => boolean, options: { timeoutMs?: number; what?: string } = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    const value = await probe();
    if (isDone(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${options.what ?? 'condition'}: last ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
