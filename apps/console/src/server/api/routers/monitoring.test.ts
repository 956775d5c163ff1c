import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgPool } from '@tripcast/db/client';
import { listAuditLog } from '@tripcast/db/queries/audit';
import { createProfileAccumulator, decodeSeenPairs } from '@tripcast/model/monitoring';
import { recordDrift } from '@tripcast/model/monitoring-store';
import type pg from 'pg';
import { createTestConsole, type TTestConsole } from '../../testing/context';

const NAME = 'ride_duration_prediction_model';

/** n rides on one pair at one distance and predicted duration. */
const rides = (n: number, pu: number, miles: number, minutes: number) => ({
  pu: new Int32Array(n).fill(pu),
  do: new Int32Array(n).fill(75),
  distance: new Float64Array(n).fill(miles),
  predicted: new Float32Array(n).fill(minutes),
});

describe('monitoring router', () => {
  let t: TTestConsole;
  let pool: pg.Pool;
  beforeAll(async () => {
    t = await createTestConsole();
    pool = createPgPool(t.databaseUrl);
  });
  afterAll(async () => {
    await pool.end();
    await t.close();
  });

  it('answers a fresh install with empty series, no status and no alert', async () => {
    const overview = await t.caller.monitoring.overview();
    expect(overview).toMatchObject({
      modelName: NAME,
      versions: [],
      monthly: [],
      drift: [],
      alerts: [],
    });
    expect(overview.thresholds.psiAlert).toBe(0.25);
    expect(await t.caller.monitoring.status()).toEqual({ modelName: NAME, versions: [] });
    expect(await t.caller.monitoring.openAlerts()).toEqual([]);
  });

  it('charts drift per run, overlays reference and current, states the status, and acknowledges an alert once (audited)', async () => {
    const reference = createProfileAccumulator();
    reference.add(rides(1000, 74, 1.2, 8));
    reference.add(rides(1000, 41, 3.5, 14));
    const profile = reference.reference('test rows');
    await t.db.modelVersion.create({
      data: {
        name: NAME,
        version: 'v1',
        artifactUri: '/nonexistent-store/models/v1',
        sha256: 'a'.repeat(64),
        stage: 'production',
        productionOf: NAME,
        card: {
          schemaVersion: 1,
          name: NAME,
          version: 'v1',
          createdAt: '2026-12-04T00:00:00.000Z',
          sha256: 'a'.repeat(64),
          inputs: [{ name: 'pair_index', feature: 'pair_index', type: 'int32' }],
          output: { name: 'duration', unit: 'minutes' },
          metrics: { validation: { rmse: 5, rows: 2000 } },
          profile,
        },
      },
    });
    const seen = decodeSeenPairs(profile);
    const same = createProfileAccumulator({ seenPairs: seen });
    same.add(rides(1000, 74, 1.2, 8));
    same.add(rides(1000, 41, 3.5, 14));
    const moved = createProfileAccumulator({ seenPairs: seen });
    moved.add(rides(200, 74, 1.2, 8));
    moved.add(rides(1800, 132, 18, 40)); // JFK, long, a pair never seen
    const common = {
      pool,
      modelName: NAME,
      modelVersion: 'v1',
      role: 'production',
      reference: profile,
    } as const;
    await recordDrift({
      ...common,
      source: 'batch',
      scope: 'run-a',
      periodStart: new Date('2021-03-01T00:00:00Z'),
      current: same.result(),
    });
    await recordDrift({
      ...common,
      source: 'batch',
      scope: 'run-b',
      periodStart: new Date('2024-01-01T00:00:00Z'),
      current: moved.result(),
    });

    const overview = await t.caller.monitoring.overview();
    expect(overview.versions).toEqual([{ version: 'v1', stage: 'production', validationRmse: 5 }]);
    expect(overview.drift.map((d) => [d.scope, d.status])).toEqual([
      ['run-a', 'ok'],
      ['run-b', 'alert'],
    ]);
    expect(overview.drift[1]!.features?.distance?.psi).toBeGreaterThan(0.25);
    expect(overview.drift[1]!.unseenPairShare).toBeCloseTo(0.9, 9);

    const detail = await t.caller.monitoring.driftDetail({ id: overview.drift[1]!.id });
    expect(detail.reference?.rows).toBe(2000);
    expect(detail.reference?.pickupZones[41]).toBe(1000);
    expect(detail.current?.pickupZones[132]).toBe(1800);
    expect(detail.referenceBasis).toBe('test rows');
    expect(detail.reference).not.toHaveProperty('seenPairs');
    await expect(t.caller.monitoring.driftDetail({ id: '999999' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(t.caller.monitoring.driftDetail({ id: 'x' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });

    const status = await t.caller.monitoring.status();
    expect(status.versions).toEqual([
      {
        version: 'v1',
        stage: 'production',
        status: 'alert',
        reasons: [
          expect.stringMatching(
            /^batch run run-b: .* PSI \d+\.\d{3} >= alert 0\.25 \(\+\d+ more\)$/,
          ),
        ],
      },
    ]);

    const open = await t.caller.monitoring.openAlerts();
    expect(open.map((a) => [a.scope, a.severity])).toEqual([['run-b', 'alert']]);
    const acked = await t.caller.monitoring.acknowledgeAlert({
      id: open[0]!.id,
      note: 'JFK traffic is new',
    });
    expect(acked.acknowledgedBy).toBe('test');
    expect(await t.caller.monitoring.openAlerts()).toEqual([]);
    const audit = await listAuditLog(t.db, { limit: 5, targetType: 'alert' });
    expect(audit.items.map((a) => [a.action, a.targetId])).toEqual([
      ['alert.acknowledge', open[0]!.id],
    ]);
    await expect(t.caller.monitoring.acknowledgeAlert({ id: '424242' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});
