import { TRPCError } from '@trpc/server';
import { findApiKeyByHash, hashApiKey } from '@tripcast/db/queries/api-keys';
import { createPgPool } from '@tripcast/db/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onApiKeyRevoked } from '../../api-key-revocations';
import { createTestConsole, type TTestConsole } from '../../testing/context';

describe('apiKeys router', () => {
  let t: TTestConsole;
  beforeAll(async () => {
    t = await createTestConsole({ actor: 'ada@example.com' });
  });
  afterAll(() => t.close());

  it('creates a key shown once, lists it without the secret, and revokes it (announced in-process)', async () => {
    const created = await t.caller.apiKeys.create({ name: '  billing service ' });
    expect(created.key).toMatch(/^tc_/);
    expect(created.apiKey).toMatchObject({ name: 'billing service', createdBy: 'ada@example.com', revokedAt: null });

    const listed = await t.caller.apiKeys.list();
    expect(listed.map((k) => k.id)).toContain(created.apiKey.id);
    expect(JSON.stringify(listed)).not.toContain(created.key);

    const announced: string[] = [];
    const unsubscribe = onApiKeyRevoked((id) => announced.push(id));
    try {
      const revoked = await t.caller.apiKeys.revoke({ id: created.apiKey.id });
      expect(revoked.revokedBy).toBe('ada@example.com');
      expect(announced).toEqual([created.apiKey.id]);
    } finally {
      unsubscribe();
    }
    const pool = createPgPool(t.databaseUrl, { max: 1 });
    try {
      expect((await findApiKeyByHash(pool, hashApiKey(created.key)))?.isRevoked).toBe(true);
    } finally {
      await pool.end();
    }
  });

  it('refuses an empty name and an unknown id', async () => {
    await expect(t.caller.apiKeys.create({ name: '   ' })).rejects.toThrow(/Name the key/);
    await expect(t.caller.apiKeys.revoke({ id: '00000000-0000-4000-8000-000000000000' })).rejects.toBeInstanceOf(TRPCError);
  });
});
