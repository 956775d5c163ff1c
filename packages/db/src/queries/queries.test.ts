import { describe, expect, it } from 'vitest';
import { replaceRunPredictions } from '../batch-predictions';
import { createTestRun, startTestRun, useMigratedTestDatabase } from '../testing';
import { listAuditLog, recordAudit } from './audit';
import { recordDeadLetters } from './dead-letters';
import {
  compareChallengerAgreement,
  insertHistoryBatch,
  listHistory,
  writeHistoryBatch,
  type THistoryFilter,
} from './history';
import type { THistoryInput } from './history';
import {
  createModelVersion,
  getProductionModelVersion,
  listModelVersions,
  promoteModelVersion,
} from './models';
import { listRunPredictions } from './predictions';
import { completeRun, getBatchRun, listBatchRuns, reapStaleRuns, recordRunProgress } from './runs';

const suite = useMigratedTestDatabase({ poolMax: 3 });

describe('runs', () => {
  it('records a run through its lifecycle and lists runs newest first, paged and filtered', async () => {
    const ids: string[] = [];
    for (const month of [1, 2, 3]) {
      const run = await createTestRun(suite.pool, {
        taxiType: month === 2 ? 'yellow' : 'green',
        year: 2021,
        month,
        inputUri: `file:///green_${month}.parquet`,
        trigger: 'backfill',
        backfillId: 'bf',
      });
      ids.push(run.id);
    }
    const [first, second, third] = ids as [string, string, string];
    await startTestRun(suite.pool, { id: first, modelVersion: '3', outputUri: 'file:///out.parquet' });
    const counts = { rowsRead: 100, rowsScored: 90, rowsRejected: 10 };
    await recordRunProgress(suite.pool, first, { progress: 0.5, ...counts });
    await completeRun(suite.pool, first, {
      progress: 1,
      ...counts,
      summary: { predicted: { mean: 12 } },
    });

    const detail = await getBatchRun(suite.db, first);
    expect(detail).toMatchObject({
      status: 'succeeded',
      progress: 1,
      rowsRead: 100,
      rowsScored: 90,
      rowsRejected: 10,
      modelVersion: '3',
      outputUri: 'file:///out.parquet',
      summary: { predicted: { mean: 12 } },
    });
    expect(detail?.finishedAt).toBeInstanceOf(Date);
    expect(detail).not.toHaveProperty('key', undefined);

    const page1 = await listBatchRuns(suite.db, { limit: 2, backfillId: 'bf' });
    expect(page1.items.map((run) => run.id)).toEqual([third, second]);
    const page2 = await listBatchRuns(suite.db, { limit: 2, backfillId: 'bf', cursor: page1.nextCursor });
    expect(page2.items.map((run) => run.id)).toEqual([first]);
    expect(page2.nextCursor).toBeNull();
    expect(
      (await listBatchRuns(suite.db, { limit: 10, taxiType: 'yellow' })).items.map((run) => run.id),
    ).toEqual([second]);
    // The list select leaves the heavy columns out.
    expect(page1.items[0]).not.toHaveProperty('summary');
  });

  it('fails running runs whose heartbeat went stale, naming why', async () => {
    const run = await createTestRun(suite.pool, {
      taxiType: 'fhv',
      year: 2021,
      month: 4,
      inputUri: 'x',
      trigger: 'schedule',
      modelVersion: '1',
    });
    expect(await reapStaleRuns(suite.pool, { staleAfterMs: 60_000 })).not.toContain(run.id);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await reapStaleRuns(suite.pool, { staleAfterMs: 1 })).toContain(run.id);
    expect(await getBatchRun(suite.db, run.id)).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('heartbeat stopped') as unknown,
    });
  });
});

describe('predictions', () => {
  it('pages a run in row order and filters by zone (pickup or dropoff)', async () => {
    const run = await createTestRun(suite.pool, {
      taxiType: 'green',
      year: 2021,
      month: 1,
      inputUri: 'x',
      trigger: 'cli',
    });
    const n = 25;
    await replaceRunPredictions({
      pool: suite.pool,
      runKey: run.key,
      rows: [
        {
          rowIndex: Int32Array.from({ length: n }, (_, i) => i),
          rideId: Array.from({ length: n }, (_, i) => `2021/01_${i}`),
          pickupMs: Float64Array.from({ length: n }, (_, i) => Date.UTC(2021, 0, 1) + i * 1000),
          pu: Int16Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 7 : 100)),
          do: Int16Array.from({ length: n }, (_, i) => (i % 7 === 0 ? 7 : 200)),
          actual: new Float32Array(n).fill(Number.NaN),
          predicted: new Float32Array(n).fill(10),
        },
      ],
    });
    const page1 = await listRunPredictions(suite.db, { runKey: run.key, limit: 10 });
    expect(page1.items.map((row) => row.rowIndex)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(page1.items[0]).toEqual({
      rowIndex: 0,
      rideId: '2021/01_0',
      pickupDatetime: new Date(Date.UTC(2021, 0, 1)),
      puLocationId: 7,
      doLocationId: 7,
      tripDistance: null,
      actualDuration: null,
      predictedDuration: 10,
    });
    const page3 = await listRunPredictions(suite.db, { runKey: run.key, limit: 10, afterRowIndex: 19 });
    expect(page3.items.map((row) => row.rowIndex)).toEqual([20, 21, 22, 23, 24]);
    expect(page3.nextCursor).toBeNull();

    const zone = await listRunPredictions(suite.db, { runKey: run.key, limit: 100, zoneId: 7 });
    expect(zone.items.map((row) => row.rowIndex)).toEqual([0, 5, 7, 10, 14, 15, 20, 21]);
  });
});

describe('models', () => {
  it('promotes a version, archives the previous one, and audits it', async () => {
    const card = { metrics: { rmse: 7.76 } };
    for (const version of ['1', '2'])
      await createModelVersion(suite.db, {
        name: 'promo',
        version,
        artifactUri: `file:///promo/${version}`,
        sha256: '0'.repeat(64),
        card,
      });
    expect(await getProductionModelVersion(suite.db, 'promo')).toBeNull();

    const first = await promoteModelVersion(suite.db, { name: 'promo', version: '1', actor: 'a' });
    expect(first.previous).toBeNull();
    const second = await promoteModelVersion(suite.db, { name: 'promo', version: '2', actor: 'b' });
    expect(second.previous?.version).toBe('1');
    expect(second.promoted).toMatchObject({ version: '2', stage: 'production', promotedBy: 'b' });
    expect((await getProductionModelVersion(suite.db, 'promo'))?.version).toBe('2');
    expect(
      (await listModelVersions(suite.db, { name: 'promo' })).map((model) => [model.version, model.stage]),
    ).toEqual([
      ['2', 'production'],
      ['1', 'archived'],
    ]);
    const audit = await listAuditLog(suite.db, {
      limit: 10,
      targetType: 'model_version',
      targetId: 'promo@2',
    });
    expect(audit.items).toHaveLength(1);
    expect(audit.items[0]).toMatchObject({
      actor: 'b',
      action: 'model.promote',
      details: { previous: '1' },
    });
    await expect(
      promoteModelVersion(suite.db, { name: 'promo', version: '9', actor: 'a' }),
    ).rejects.toThrow(/has no version 9/);
  });
});

describe('history', () => {
  const row = (key: string, extra: Partial<THistoryInput> = {}): THistoryInput => ({
    source: 'stream',
    idempotencyKey: key,
    rideId: key,
    puLocationId: 130,
    doLocationId: 205,
    tripDistance: 3.66,
    predictedDuration: 21.3,
    modelName: 'm',
    modelVersion: 'v1',
    latencyMs: 0.5,
    ...extra,
  });

  it('inserts a batch once: duplicates in the table or within the batch are skipped', async () => {
    expect(await insertHistoryBatch(suite.pool, [row('k1'), row('k2'), row('k2')])).toEqual({
      inserted: 2,
      duplicates: 1,
    });
    expect(
      await insertHistoryBatch(suite.pool, [row('k1'), row('k3'), row('k2', { source: 'online' })]),
    ).toEqual({ inserted: 2, duplicates: 1 });
    expect(await insertHistoryBatch(suite.pool, [])).toEqual({ inserted: 0, duplicates: 0 });
    const { rows } = await suite.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM prediction_history WHERE idempotency_key IN ('k1', 'k2', 'k3')",
    );
    expect(rows[0]?.n).toBe(4);
  });

  it('stores every value as given: quotes, backslashes, braces, the word NULL, exact instants, special floats', async () => {
    // The statement's array parameters are literals we build (array-literal.ts); each of these
    // would be misread by a literal that did not quote or escape it.
    const awkward = ['"quoted"', 'back\\slash', '{a,b}', 'NULL', ' padded ', '', 'ünï 🚕', 'tab\there'];
    const at = new Date('2026-12-05T09:07:28.146Z');
    // Rows two by two in the same millisecond: the literal reuses the last instant's text.
    const batch = [
      ...awkward.map((rideId, i) =>
        row(`lit-${i}`, { rideId, modelVersion: `v"${i}\\`, createdAt: new Date(at.getTime() + (i >> 1)), reason: rideId }),
      ),
      row('lit-nulls', { rideId: null, puLocationId: null, tripDistance: null, predictedDuration: null, createdAt: null }),
      row('lit-floats', { tripDistance: 1e21, predictedDuration: Number.NaN, latencyMs: -0 }),
    ];
    expect(await insertHistoryBatch(suite.pool, batch)).toEqual({ inserted: batch.length, duplicates: 0 });
    const { rows } = await suite.pool.query<{
      key: string;
      ride_id: string | null;
      model_version: string;
      reason: string | null;
      created_at: Date;
      pu: number | null;
      distance: number | null;
      predicted: number | null;
    }>(
      `SELECT idempotency_key AS key, ride_id, model_version, reason, created_at, pu_location_id AS pu,
              trip_distance::float8 AS distance, predicted_duration::float8 AS predicted
         FROM prediction_history WHERE idempotency_key LIKE 'lit-%' ORDER BY idempotency_key`,
    );
    const byKey = new Map(rows.map((r) => [r.key, r]));
    awkward.forEach((rideId, i) => {
      const stored = byKey.get(`lit-${i}`)!;
      expect(stored).toMatchObject({ ride_id: rideId, reason: rideId, model_version: `v"${i}\\` });
      expect(stored.created_at.toISOString()).toBe(new Date(at.getTime() + (i >> 1)).toISOString());
    });
    const nulls = byKey.get('lit-nulls')!;
    expect(nulls).toMatchObject({ ride_id: null, pu: null, distance: null, predicted: null });
    expect(Math.abs(nulls.created_at.getTime() - Date.now())).toBeLessThan(60_000); // now() stood in
    const floats = byKey.get('lit-floats')!;
    expect(floats.distance).toBeCloseTo(1e21, -15);
    expect(floats.predicted).toBeNaN();
  });

  it('keeps a row with an invalid Date aside as refused and writes the rest', async () => {
    const batch = [row('date-ok-1'), row('date-bad', { createdAt: new Date(Number.NaN) }), row('date-ok-2')];
    const result = await writeHistoryBatch(suite.pool, batch);
    expect(result.inserted).toBe(2);
    expect(result.refused.map((r) => r.row.idempotencyKey)).toEqual(['date-bad']);
    expect(result.refused[0]!.reason).toMatch(/invalid input syntax for type timestamp/);
  });

  it('keeps one row per model version for the same input (production + challengers), still once on replay', async () => {
    const batch = [
      row('r1'),
      row('r1', { modelVersion: 'c1', role: 'challenger', predictedDuration: 19 }),
      row('r1', { modelVersion: 'c2', role: 'challenger', predictedDuration: 25 }),
      // Rejected before any model saw it: no version, still written once (NULLS NOT DISTINCT).
      row('r2', { modelVersion: null, status: 'rejected', reason: 'x' }),
    ];
    expect(await insertHistoryBatch(suite.pool, batch)).toEqual({ inserted: 4, duplicates: 0 });
    expect(await insertHistoryBatch(suite.pool, batch)).toEqual({ inserted: 0, duplicates: 4 });
    const { rows } = await suite.pool.query<{ v: string | null; role: string }>(
      "SELECT model_version AS v, role::text FROM prediction_history WHERE idempotency_key IN ('r1', 'r2') ORDER BY 1",
    );
    expect(rows).toEqual([
      { v: 'c1', role: 'challenger' },
      { v: 'c2', role: 'challenger' },
      { v: 'v1', role: 'production' },
      { v: null, role: 'production' },
    ]);
    // History filters by role; the read view keeps one row per input (no challenger rows).
    const window = { sources: ['stream' as const] };
    const challengerRows = await listHistory(suite.db, {
      filter: { ...window, roles: ['challenger'] },
      page: 1,
      pageSize: 50,
    });
    expect(challengerRows.items.map((item) => `${item.rideId} ${item.modelVersion} ${item.role}`).sort()).toEqual([
      'r1 c1 challenger',
      'r1 c2 challenger',
    ]);
    const agreement = await compareChallengerAgreement(suite.db, {
      modelName: 'm',
      version: 'c2',
      from: new Date(Date.now() - 60_000),
      to: new Date(Date.now() + 60_000),
    });
    // One pair (r1): production said 21.3, c2 said 25: 3.7 minutes apart, not over 5.
    expect(agreement).toEqual([
      {
        source: 'stream',
        pairs: 1,
        meanAbsDiffMinutes: expect.closeTo(3.7, 4) as number,
        p95AbsDiffMinutes: expect.closeTo(3.7, 4) as number,
        shareOver5Min: 0,
        productionLatencyMs: 0.5,
        challengerLatencyMs: 0.5,
      },
    ]);
    const view = await suite.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM tripcast_api.prediction_history WHERE ride_id = 'r1'",
    );
    expect(view.rows[0]?.n).toBe(1);
  });

  it('writes the rows around ones Postgres refuses (a NUL byte) and dead-letters those with the reason', async () => {
    const rows = Array.from({ length: 9 }, (_, i) =>
      row(`split-${i}`, {
        source: 'online',
        rideId: i === 2 || i === 7 ? `bad\u0000${i}` : `ok-${i}`,
      }),
    );
    // Plain insert: Postgres refuses the whole batch (this is what blocked the writer for good).
    await expect(insertHistoryBatch(suite.pool, rows)).rejects.toMatchObject({ code: '22021' });
    const result = await writeHistoryBatch(suite.pool, rows);
    expect(result.inserted).toBe(7);
    expect(result.refused.map((refusal) => refusal.row.idempotencyKey)).toEqual([
      'split-2',
      'split-7',
    ]);
    expect(result.refused[0]!.reason).toMatch(/invalid byte sequence for encoding "UTF8": 0x00/);
    const stored = await suite.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM prediction_history WHERE idempotency_key LIKE 'split-%'",
    );
    expect(stored.rows[0]?.n).toBe(7);
    const letters = await suite.pool.query<{
      source: string;
      sequence_number: string;
      payload: Buffer;
      reason: string;
    }>(
      "SELECT source, sequence_number, payload, reason FROM dead_letters WHERE sequence_number LIKE 'split-%' ORDER BY sequence_number",
    );
    expect(letters.rows.map((letter) => [letter.source, letter.sequence_number])).toEqual([
      ['online', 'split-2'],
      ['online', 'split-7'],
    ]);
    expect(JSON.parse(letters.rows[0]!.payload.toString('utf8'))).toMatchObject({
      rideId: 'bad\u00002',
    });
    expect(letters.rows[0]!.reason).toMatch(/^history row refused by Postgres: /);
    // A replay writes nothing new and finds the same refusals.
    expect(await writeHistoryBatch(suite.pool, rows)).toMatchObject({ inserted: 0, duplicates: 7 });
  });

  it('rethrows errors that are not about the data (the caller retries the whole batch)', async () => {
    const broken = {
      query: () =>
        Promise.reject(Object.assign(new Error('Connection terminated'), { code: undefined })),
    };
    await expect(writeHistoryBatch(broken, [row('conn-1'), row('conn-2')])).rejects.toThrow(
      'Connection terminated',
    );
  });

  it('lists newest first with source, model version, zone and time filters, rejected rows with their reason', async () => {
    const base = Date.UTC(2026, 0, 1);
    await insertHistoryBatch(suite.pool, [
      row('h1', { source: 'online', createdAt: new Date(base + 1000), modelVersion: 'v2' }),
      row('h2', { createdAt: new Date(base + 2000), puLocationId: 42 }),
      row('h3', {
        createdAt: new Date(base + 3000),
        status: 'rejected',
        predictedDuration: null,
        reason: 'trip_distance: must be > 0',
      }),
      row('h4', { createdAt: new Date(base + 4000), doLocationId: 42 }),
    ]);
    const window = { from: new Date(base), to: new Date(base + 10_000) };
    const list = async (filter: Partial<THistoryFilter>, page = 1, pageSize = 10) =>
      listHistory(suite.db, { filter: { sources: ['online', 'stream'], ...window, ...filter }, page, pageSize });
    const ids = async (filter: Partial<THistoryFilter>) => (await list(filter)).items.map((item) => item.rideId);

    const first = await list({}, 1, 3);
    expect(first.items.map((item) => item.rideId)).toEqual(['h4', 'h3', 'h2']);
    expect(first.hasMore).toBe(true);
    const rest = await list({}, 2, 3);
    expect(rest.items.map((item) => item.rideId)).toEqual(['h1']);
    expect(rest.hasMore).toBe(false);

    expect(await ids({ sources: ['online'] })).toEqual(['h1']);
    expect(await ids({ modelVersion: 'v2' })).toEqual(['h1']);
    expect(await ids({ zoneId: 42 })).toEqual(['h4', 'h2']);
    expect(await ids({ from: new Date(base + 2500) })).toEqual(['h4', 'h3']);
    expect((await list({})).items.find((item) => item.rideId === 'h3')).toMatchObject({
      status: 'rejected',
      predictedDuration: null,
      reason: 'trip_distance: must be > 0',
    });
  });
});

describe('dead letters and audit', () => {
  it('keeps a redelivered bad record once', async () => {
    const letter = {
      source: 'stream',
      streamName: 'ride_events',
      shardId: 's-0',
      sequenceNumber: '7',
      payload: 'not json',
      reason: 'invalid JSON',
    };
    expect(await recordDeadLetters(suite.pool, [letter, { ...letter, sequenceNumber: '8' }])).toBe(2);
    expect(await recordDeadLetters(suite.pool, [letter])).toBe(0);
    const kept = await suite.db.deadLetter.findMany({ where: { source: 'stream', sequenceNumber: { in: ['7', '8'] } } });
    expect(kept.map((row) => row.sequenceNumber).sort()).toEqual(['7', '8']);
  });

  it('stores raw bytes exactly, NUL and invalid UTF-8 included, and a reason holding NUL', async () => {
    const raw = new Uint8Array([0x62, 0x61, 0x64, 0x00, 0xff, 0xfe]);
    const letters = [
      {
        source: 'stream',
        streamName: 'ride_events',
        shardId: 's-1',
        sequenceNumber: '1',
        payload: raw,
        reason: 'not JSON: "bad\u0000',
      },
      {
        source: 'stream',
        streamName: 'ride_events',
        shardId: 's-1',
        sequenceNumber: '2',
        payload: 'a\u0000b',
        reason: 'x',
      },
    ];
    expect(await recordDeadLetters(suite.pool, letters)).toBe(2);
    const { rows } = await suite.pool.query<{ payload: Buffer; reason: string }>(
      "SELECT payload, reason FROM dead_letters WHERE shard_id = 's-1' ORDER BY sequence_number",
    );
    expect([...rows[0]!.payload]).toEqual([...raw]);
    expect(rows[0]!.reason).toBe('not JSON: "bad\\u0000');
    expect(rows[1]!.payload.toString('utf8')).toBe('a\u0000b');
  });

  it('records and pages audit entries', async () => {
    for (const id of ['r1', 'r2', 'r3'])
      await recordAudit(suite.db, {
        actor: 'x',
        action: 'run.trigger',
        targetType: 'batch_run_test',
        targetId: id,
      });
    const page = await listAuditLog(suite.db, { limit: 2, targetType: 'batch_run_test' });
    expect(page.items.map((entry) => entry.targetId)).toEqual(['r3', 'r2']);
    expect(
      (
        await listAuditLog(suite.db, { limit: 2, targetType: 'batch_run_test', cursor: page.nextCursor })
      ).items.map((entry) => entry.targetId),
    ).toEqual(['r1']);
  });
});
