import { describe, expect, it } from 'vitest';

import { useMigratedTestDatabase } from '../testing';
import { listModelDrift, recordModelDrift } from './drift';

describe('model drift rows', () => {
  const suite = useMigratedTestDatabase();

  it('lists the newest periods oldest first, and replaces a re-measured one', async () => {
    const row = (day: number, maxPsi: number) => ({
      source: 'online' as const,
      scope: `2026-12-0${day}`,
      modelName: 'm',
      modelVersion: 'v1',
      role: 'production',
      periodStart: new Date(Date.UTC(2026, 11, day)),
      rows: 900,
      maxPsi,
      unseenPairShare: 0,
      status: 'ok' as const,
      report: {},
      current: {},
    });
    for (const day of [3, 1, 2]) await recordModelDrift(suite.pool, row(day, day / 100));
    await recordModelDrift(suite.pool, row(2, 0.5));
    expect(
      (await listModelDrift(suite.db, { modelName: 'm' })).map((r) => [r.scope, r.maxPsi]),
    ).toEqual([
      ['2026-12-01', 0.01],
      ['2026-12-02', 0.5],
      ['2026-12-03', 0.03],
    ]);
    expect(
      (await listModelDrift(suite.db, { modelName: 'm', limit: 2 })).map((r) => r.scope),
    ).toEqual(['2026-12-02', '2026-12-03']);
  });
});
