// Every model goes through the generated Prisma client (adapter-pg) and comes back equal:
// proves the client, the driver adapter and the migrated tables agree on every column's type.
import { describe, expect, it } from 'vitest';
import { replaceRunPredictions } from './batch-predictions';
import { useMigratedTestDatabase } from './testing';

const suite = useMigratedTestDatabase();

const at = (iso: string) => new Date(iso);

describe('Prisma round trip', () => {
  it('ModelVersion', async () => {
    const data = {
      name: 'ride_duration_prediction_model',
      version: '2021-01.1',
      artifactUri:
        's3://tripcast-models/models/ride_duration_prediction_model/2021-01.1/model.onnx',
      sha256: 'a'.repeat(64),
      card: {
        metrics: { rmse: 7.7587 },
        inputs: ['PU_DO', 'trip_distance'],
        trainedOn: ['green_tripdata_2021-01.parquet'],
      },
      stage: 'production' as const,
      productionOf: 'ride_duration_prediction_model',
      createdBy: 'analyst@example.com',
      promotedAt: at('2026-01-02T03:04:05.678Z'),
      promotedBy: 'lead@example.com',
      promotedVia: 'promote' as const,
    };
    const created = await suite.db.modelVersion.create({ data });
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await suite.db.modelVersion.findUniqueOrThrow({ where: { id: created.id } })).toEqual({
      ...data,
      id: created.id,
      createdAt: created.createdAt,
    });
  });

  it('ModelVersion: at most one production version per name', async () => {
    const base = { name: 'm', artifactUri: 'file:///m', sha256: 'b'.repeat(64), card: {} };
    await suite.db.modelVersion.create({
      data: { ...base, version: '1', stage: 'production', productionOf: 'm' },
    });
    await expect(
      suite.db.modelVersion.create({
        data: { ...base, version: '2', stage: 'production', productionOf: 'm' },
      }),
    ).rejects.toMatchObject({ code: 'P2002' });
    await expect(suite.db.modelVersion.create({ data: { ...base, version: '1' } })).rejects.toMatchObject(
      { code: 'P2002' },
    );
  });

  it('BatchRun', async () => {
    const data = {
      taxiType: 'yellow' as const,
      year: 2023,
      month: 3,
      inputUri: 's3://trips/yellow_tripdata_2023-03.parquet',
      outputUri: 's3://out/taxi_type=yellow/year=2023/month=03/run.parquet',
      rejectsUri: 's3://out/rejects/run.parquet',
      modelName: 'ride_duration_prediction_model',
      modelVersion: '7',
      trigger: 'backfill' as const,
      status: 'succeeded' as const,
      progress: 1,
      rowsRead: 3_403_766,
      rowsScored: 3_300_000,
      rowsRejected: 103_766,
      summary: {
        predicted: { mean: 14.2, p50: 12.1, p95: 31.5 },
        rejectsByReason: { duration_out_of_range: 103_766 },
      },
      error: null,
      requestedBy: 'scheduler',
      backfillId: 'bf-1',
      startedAt: at('2026-01-02T03:00:00.001Z'),
      finishedAt: at('2026-01-02T03:00:09.999Z'),
      heartbeatAt: at('2026-01-02T03:00:09.000Z'),
    };
    const created = await suite.db.batchRun.create({ data });
    expect(created.key).toBeGreaterThan(0);
    expect(await suite.db.batchRun.findUniqueOrThrow({ where: { id: created.id } })).toEqual({
      ...data,
      id: created.id,
      key: created.key,
      createdAt: created.createdAt,
    });
  });

  it('BatchPrediction (in the run partition the COPY writer creates)', async () => {
    const run = await suite.db.batchRun.create({
      data: { taxiType: 'green', year: 2021, month: 1, inputUri: 'x', trigger: 'cli' },
      select: { key: true },
    });
    await replaceRunPredictions({ pool: suite.pool, runKey: run.key, rows: [] });
    const rows = [
      {
        runKey: run.key,
        rowIndex: 0,
        rideId: '2021/01_0',
        pickupDatetime: at('2021-01-01T00:15:56.000Z'),
        puLocationId: 43,
        doLocationId: 151,
        actualDuration: 3.9333334,
        predictedDuration: 8.25,
        tripDistance: 2.25,
        anomaly: null,
      },
      {
        runKey: run.key,
        rowIndex: 1,
        rideId: '2021/01_1',
        pickupDatetime: at('2021-01-01T00:25:59.000Z'),
        puLocationId: 166,
        doLocationId: 239,
        actualDuration: null,
        predictedDuration: 12.5,
        tripDistance: 0,
        anomaly: 'zero_distance',
      },
    ];
    await suite.db.batchPrediction.createMany({ data: rows });
    const stored = await suite.db.batchPrediction.findMany({
      where: { runKey: run.key },
      orderBy: { rowIndex: 'asc' },
    });
    expect(stored).toHaveLength(2);
    expect(stored[0]).toEqual({
      ...rows[0],
      actualDuration: expect.closeTo(3.9333334, 5) as number,
    });
    expect(stored[1]).toEqual(rows[1]);
  });

  it('PredictionHistory, and its idempotency key rejects a duplicate per source', async () => {
    const data = {
      source: 'stream' as const,
      status: 'scored' as const,
      idempotencyKey:
        'shardId-000000000000/49590338271490256608559692538361571095921575989136588898',
      rideId: '256',
      puLocationId: 130,
      doLocationId: 205,
      tripDistance: 3.66,
      predictedDuration: 21.3,
      modelName: 'ride_duration_prediction_model',
      modelVersion: '7',
      latencyMs: 0.75,
      role: 'production' as const,
      reason: null,
    };
    const created = await suite.db.predictionHistory.create({ data });
    expect(typeof created.id).toBe('bigint');
    const stored = await suite.db.predictionHistory.findUniqueOrThrow({ where: { id: created.id } });
    expect(stored).toEqual({
      ...data,
      id: created.id,
      createdAt: created.createdAt,
      tripDistance: expect.closeTo(3.66, 5) as number,
      predictedDuration: expect.closeTo(21.3, 5) as number,
    });

    await expect(
      suite.db.predictionHistory.create({ data: { ...data, predictedDuration: 99 } }),
    ).rejects.toMatchObject({ code: 'P2002' });
    // The same key from the other source is a different input.
    await expect(
      suite.db.predictionHistory.create({ data: { ...data, source: 'online' } }),
    ).resolves.toMatchObject({ source: 'online' });
    // A challenger's prediction of the same input is its own row (one per model version).
    await expect(
      suite.db.predictionHistory.create({ data: { ...data, modelVersion: '8', role: 'challenger' } }),
    ).resolves.toMatchObject({ role: 'challenger' });
    expect(
      await suite.db.predictionHistory.count({ where: { idempotencyKey: data.idempotencyKey } }),
    ).toBe(3);
  });

  it('StreamCheckpoint', async () => {
    const data = {
      streamName: 'ride_events',
      shardId: 'shardId-000000000001',
      sequenceNumber: '49590338271490256608559692540925702759324208523137515538',
      isShardEnded: true,
    };
    await suite.db.streamCheckpoint.create({ data });
    const stored = await suite.db.streamCheckpoint.findUniqueOrThrow({
      where: { streamName_shardId: { streamName: data.streamName, shardId: data.shardId } },
    });
    expect(stored).toEqual({ ...data, updatedAt: expect.any(Date) as Date });
  });

  it('ShardLease', async () => {
    const data = {
      streamName: 'ride_events',
      shardId: 'shardId-000000000000',
      owner: 'consumer-a',
      expiresAt: at('2026-01-01T00:00:30.000Z'),
      leaseCounter: 3,
    };
    await suite.db.shardLease.create({ data });
    const stored = await suite.db.shardLease.findUniqueOrThrow({
      where: { streamName_shardId: { streamName: data.streamName, shardId: data.shardId } },
    });
    expect(stored).toEqual({ ...data, updatedAt: expect.any(Date) as Date });
  });

  it('DeadLetter', async () => {
    const data = {
      source: 'stream',
      streamName: 'ride_events',
      shardId: 'shardId-000000000000',
      sequenceNumber: '42',
      // Raw bytes, NUL and invalid UTF-8 included: the column is bytea.
      payload: new Uint8Array([...Buffer.from('{"ride": {"PULocationID": 999}}'), 0x00, 0xff]),
      reason: 'ride.PULocationID: must be <= 265',
    };
    const created = await suite.db.deadLetter.create({ data });
    expect(await suite.db.deadLetter.findUniqueOrThrow({ where: { id: created.id } })).toEqual({
      ...data,
      id: created.id,
      createdAt: created.createdAt,
    });
    await expect(suite.db.deadLetter.create({ data })).rejects.toMatchObject({ code: 'P2002' });
  });

  it('AuditLog', async () => {
    const data = {
      actor: 'analyst@example.com',
      action: 'run.trigger',
      targetType: 'batch_run',
      targetId: 'run-1',
      details: { taxiType: 'green', year: 2021, month: 1 },
    };
    const created = await suite.db.auditLog.create({ data });
    expect(await suite.db.auditLog.findUniqueOrThrow({ where: { id: created.id } })).toEqual({
      ...data,
      id: created.id,
      createdAt: created.createdAt,
    });
  });
});
