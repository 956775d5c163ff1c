import { describe, expect, it } from 'vitest';
import { useMigratedTestDatabase } from '../testing';
import {
  createApiKey,
  findApiKeyByHash,
  hashApiKey,
  listApiKeys,
  recordApiKeysUsed,
  revokeApiKey,
} from './api-keys';
import { listAuditLog } from './audit';

const suite = useMigratedTestDatabase();

describe('api keys', () => {
  it('creates a key shown once, stores only its hash, finds it by hash, and revokes it with audit rows', async () => {
    const { key, apiKey } = await createApiKey(suite.db, {
      name: 'billing service',
      createdBy: 'ada@example.com',
    });
    expect(key).toMatch(/^tc_[A-Za-z0-9_-]{43}$/);
    expect(apiKey.prefix).toBe(key.slice(0, 11));
    const stored = await suite.pool.query<{ key_hash: string }>(
      'SELECT key_hash FROM api_keys WHERE id = $1',
      [apiKey.id],
    );
    expect(stored.rows[0]?.key_hash).toBe(hashApiKey(key));
    expect(JSON.stringify(stored.rows)).not.toContain(key);

    expect(await findApiKeyByHash(suite.pool, hashApiKey(key))).toEqual({
      id: apiKey.id,
      name: 'billing service',
      prefix: apiKey.prefix,
      isRevoked: false,
      scopes: ['predict'],
    });
    expect(await findApiKeyByHash(suite.pool, hashApiKey(`${key}x`))).toBeNull();

    const revoked = await revokeApiKey(suite.db, { id: apiKey.id, actor: 'grace@example.com' });
    expect(revoked?.revokedBy).toBe('grace@example.com');
    const again = await revokeApiKey(suite.db, { id: apiKey.id, actor: 'someone@example.com' });
    expect(again?.revokedBy).toBe('grace@example.com');
    expect(
      await revokeApiKey(suite.db, { id: '00000000-0000-4000-8000-000000000000', actor: 'x' }),
    ).toBeNull();
    expect((await findApiKeyByHash(suite.pool, hashApiKey(key)))?.isRevoked).toBe(true);

    const audit = await listAuditLog(suite.db, { limit: 10, targetType: 'api_key', targetId: apiKey.id });
    expect(audit.items.map((row) => [row.action, row.actor])).toEqual([
      ['api_key.revoke', 'grace@example.com'],
      ['api_key.create', 'ada@example.com'],
    ]);
  });

  it('keeps the scopes chosen at creation (default predict only), and a key made before scopes existed predicts only', async () => {
    const reader = await createApiKey(suite.db, {
      name: 'reporting',
      createdBy: 'admin',
      scopes: ['read', 'read'],
    });
    const both = await createApiKey(suite.db, {
      name: 'both',
      createdBy: 'admin',
      scopes: ['read', 'predict'],
    });
    expect(reader.apiKey.scopes).toEqual(['read']);
    expect(both.apiKey.scopes).toEqual(['predict', 'read']);
    expect((await findApiKeyByHash(suite.pool, hashApiKey(reader.key)))?.scopes).toEqual(['read']);
    expect((await findApiKeyByHash(suite.pool, hashApiKey(both.key)))?.scopes).toEqual([
      'predict',
      'read',
    ]);
    await expect(
      createApiKey(suite.db, { name: 'none', createdBy: 'admin', scopes: [] }),
    ).rejects.toThrow(/at least one scope/);
    // A row as the api_keys migration left it (before the scopes column had a value).
    await suite.pool.query('UPDATE api_keys SET scopes = NULL WHERE id = $1', [reader.apiKey.id]);
    expect((await findApiKeyByHash(suite.pool, hashApiKey(reader.key)))?.scopes).toEqual(['predict']);
    const audit = await listAuditLog(suite.db, {
      limit: 1,
      targetType: 'api_key',
      targetId: both.apiKey.id,
    });
    expect(audit.items[0]?.details).toMatchObject({ scopes: ['predict', 'read'] });
  });

  it('records last use in one batch and never moves it backwards; lists newest first', async () => {
    const a = await createApiKey(suite.db, { name: 'a', createdBy: 'admin' });
    const b = await createApiKey(suite.db, { name: 'b', createdBy: 'admin' });
    const t1 = new Date('2026-01-01T10:00:00Z');
    const t2 = new Date('2026-01-01T11:00:00Z');
    await recordApiKeysUsed(
      suite.pool,
      new Map([
        [a.apiKey.id, t2],
        [b.apiKey.id, t1],
      ]),
    );
    await recordApiKeysUsed(suite.pool, new Map([[a.apiKey.id, t1]]));
    const keys = await listApiKeys(suite.db);
    const byName = new Map(keys.map((k) => [k.name, k]));
    expect(byName.get('a')?.lastUsedAt).toEqual(t2);
    expect(byName.get('b')?.lastUsedAt).toEqual(t1);
    expect(keys.map((k) => k.name).slice(0, 2)).toEqual(['b', 'a']);
  });
});
