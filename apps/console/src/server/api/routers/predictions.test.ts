import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { createTestConsole, findSharedData, type TTestConsole } from '../../testing/context';

const zonesPath = findSharedData('taxi_zone_lookup.csv');
const hasZones = zonesPath != null && fs.existsSync(zonesPath);

describe('predictions router: zones', () => {
  let t: TTestConsole;
  beforeAll(async () => {
    t = await createTestConsole();
  });
  afterAll(() => t.close());

  it.skipIf(!hasZones)(
    'serves the TLC zone table for the pickers (needs ../shared/data/taxi_zone_lookup.csv)',
    async () => {
      const table = await t.caller.predictions.zones();
      expect(table?.zones).toHaveLength(265);
      expect(table?.zones.find((z) => z.locationId === 132)).toMatchObject({
        borough: 'Queens',
        zone: 'JFK Airport',
      });
    },
  );

  it('falls back to bare zone IDs when no table is configured', async () => {
    const bare = await createTestConsole({ getZoneTable: () => Promise.resolve(null) });
    try {
      expect(await bare.caller.predictions.zones()).toBeNull();
    } finally {
      await bare.close();
    }
  });

  it('refuses a ride with an invalid field before touching the model', async () => {
    const call = t.caller.predictions.predict({
      PULocationID: 0,
      DOLocationID: 50,
      trip_distance: 4,
    });
    await expect(call).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(call).rejects.toThrow(/PULocationID/);
  });

  it('lists no recent online predictions on a fresh database', async () => {
    expect(await t.caller.predictions.recent({ limit: 5 })).toEqual([]);
  });
});
