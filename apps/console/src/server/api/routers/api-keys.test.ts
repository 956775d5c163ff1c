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
    expect(created.apiKey).toMatchObject({ name: 'billing service', createdBy: 'ada@example.com', revokedAt: null, scopes: ['predict'] });

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

  it('creates a key with the scopes the admin chose, and refuses none or an unknown one', async () => {
    const reader = await t.caller.apiKeys.create({ name: 'reporting', scopes: ['read'] });
    expect(reader.apiKey.scopes).toEqual(['read']);
    const both = await t.caller.apiKeys.create({ name: 'both', scopes: ['read', 'predict'] });
    expect(both.apiKey.scopes).toEqual(['predict', 'read']);
    await expect(t.caller.apiKeys.create({ name: 'none', scopes: [] })).rejects.toThrow(/at least one/);
    // @ts-expect-error: not a scope
    await expect(t.caller.apiKeys.create({ name: 'admin', scopes: ['admin'] })).rejects.toBeInstanceOf(TRPCError);
  });

  it('refuses an empty name and an unknown id', async () => {
    await expect(t.caller.apiKeys.create({ name: '   ' })).rejects.toThrow(/Name the key/);
    await expect(t.caller.apiKeys.revoke({ id: '00000000-0000-4000-8000-000000000000' })).rejects.toBeInstanceOf(TRPCError);
  });
});
