import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createPgPool } from '../client';
import { createMigratedTestDatabase } from '../testing';
import { createLeaseStore } from './streams';

/** A migrated database and a pg pool on it (the lease store's SQL runs on the pool). */
async function createMigratedDatabase() {
  const database = await createMigratedTestDatabase();
  const pool = createPgPool(database.url, { max: 8 });
  return {
    pool,
    async drop() {
      await pool.end();
      await database.drop();
    },
  };
}

describe('lease store (Postgres)', () => {
  let db: Awaited<ReturnType<typeof createMigratedDatabase>>;
  beforeAll(async () => {
    db = await createMigratedDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });
  const store = (owner: string, streamName: string, leaseTtlMs = 60_000) =>
    createLeaseStore({ pool: db.pool, streamName, owner, leaseTtlMs });

  it('ten instances racing for one shard: exactly one wins', async () => {
    const stores = Array.from({ length: 10 }, (_, i) => store(`i${i}`, 'race'));
    const wins = await Promise.all(stores.map((s) => s.acquireLease('shardId-0')));
    expect(wins.filter(Boolean)).toHaveLength(1);
    const { rows } = await db.pool.query<{ owner: string }>(
      `SELECT owner FROM shard_leases WHERE stream_name = 'race'`,
    );
    expect(rows).toEqual([{ owner: `i${wins.indexOf(true)}` }]);
  });

  it('an expired lease is taken over; the old owner can no longer checkpoint or renew it', async () => {
    const a = store('a', 'expiry', 300);
    const b = store('b', 'expiry', 60_000);
    expect(await a.acquireLease('s')).toBe(true);
    expect(await b.acquireLease('s')).toBe(false);
    expect(await a.writeCheckpoint('s', '100')).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await b.acquireLease('s')).toBe(true);
    expect(await a.writeCheckpoint('s', '50')).toBe(false); // fenced: cannot move b's shard back
    expect(await a.renewLeases()).toEqual(new Set());
    expect(await b.getCheckpoint('s')).toEqual({
      shardId: 's',
      sequenceNumber: '100',
      isShardEnded: false,
    });
  });

  it('a steal succeeds only if the lease did not change since it was read', async () => {
    const a = store('a', 'steal');
    const b = store('b', 'steal');
    const c = store('c', 'steal');
    await a.acquireLease('s');
    const [seen] = await b.listLeases();
    expect(await c.stealLease('s', seen!.leaseCounter)).toBe(true);
    expect(await b.stealLease('s', seen!.leaseCounter)).toBe(false);
    expect((await a.listLeases())[0]).toMatchObject({ owner: 'c', isLive: true });
  });

  it('release frees the shard for anyone at once', async () => {
    const a = store('a', 'release');
    const b = store('b', 'release');
    await a.acquireLease('s');
    await a.releaseLease('s');
    expect(await b.acquireLease('s')).toBe(true);
  });
});
