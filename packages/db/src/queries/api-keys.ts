// API keys for the prediction API. The key is shown once; only its SHA-256 is stored.
import { hash, randomBytes } from 'node:crypto';
import type { Prisma, TDb } from '../client';
import type { ApiKeyScope } from '../generated/prisma/enums';
import { recordAudit } from './audit';
import type { TSqlClient } from './history';

/** `tc_` marks a Tripcast key (secret scanners and people can recognise it). */
const KEY_MARKER = 'tc_';
/** Characters of the key kept in clear as its prefix: the marker + 8 random characters. */
const PREFIX_LENGTH = KEY_MARKER.length + 8;

const API_KEY_SELECT = {
  id: true,
  name: true,
  prefix: true,
  scopes: true,
  createdBy: true,
  createdAt: true,
  lastUsedAt: true,
  revokedAt: true,
  revokedBy: true,
} as const satisfies Prisma.ApiKeySelect;

export type TApiKeyRow = Prisma.ApiKeyGetPayload<{ select: typeof API_KEY_SELECT }>;

/** What a key may call: `predict` (POST /api/v1/predict), `read` (the GET endpoints). */
export const API_KEY_SCOPES = ['predict', 'read'] as const satisfies readonly ApiKeyScope[];
export type TApiKeyScope = ApiKeyScope;
/** Keys made before scopes existed, and keys created without a choice, may only predict. */
const DEFAULT_API_KEY_SCOPES: readonly TApiKeyScope[] = ['predict'];

/**
 * SHA-256 hex of a key. A slow password hash would buy nothing: keys carry 256 random bits, so
 * there is no dictionary to try, and the API looks a key up on every (uncached) request.
 */
export function hashApiKey(key: string): string {
  // One-shot: the prediction API hashes the key of every request (0.3 µs against createHash's 0.7).
  return hash('sha256', key, 'hex');
}

/** Creates a key and returns it in clear: the only time it is ever available. Audited. */
export async function createApiKey(
  db: TDb,
  {
    name,
    createdBy,
    scopes = DEFAULT_API_KEY_SCOPES,
  }: { name: string; createdBy: string; scopes?: readonly TApiKeyScope[] },
): Promise<{ key: string; apiKey: TApiKeyRow }> {
  const key = `${KEY_MARKER}${randomBytes(32).toString('base64url')}`;
  // Stored in a fixed order and without repeats, so lists and audit rows read the same way.
  const scopeSet = API_KEY_SCOPES.filter((scope) => scopes.includes(scope));
  if (scopeSet.length === 0) throw new Error('An API key needs at least one scope (predict, read)');
  const apiKey = await db.$transaction(async (tx) => {
    const row = await tx.apiKey.create({
      data: {
        name,
        prefix: key.slice(0, PREFIX_LENGTH),
        keyHash: hashApiKey(key),
        createdBy,
        scopes: scopeSet,
      },
      select: API_KEY_SELECT,
    });
    await recordAudit(tx, {
      actor: createdBy,
      action: 'api_key.create',
      targetType: 'api_key',
      targetId: row.id,
      details: { name, prefix: row.prefix, scopes: scopeSet },
    });
    return row;
  });
  return { key, apiKey };
}

/** Newest first, revoked keys included (they stay for the record). */
export async function listApiKeys(db: TDb): Promise<TApiKeyRow[]> {
  return db.apiKey.findMany({
    select: API_KEY_SELECT,
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
  });
}

/**
 * Revokes a key (idempotent: revoking a revoked key keeps the first revocation). Audited.
 * Returns null when no key has this id.
 */
export async function revokeApiKey(
  db: TDb,
  { id, actor }: { id: string; actor: string },
): Promise<TApiKeyRow | null> {
  return db.$transaction(async (tx) => {
    const existing = await tx.apiKey.findUnique({ where: { id }, select: API_KEY_SELECT });
    if (!existing) return null;
    if (existing.revokedAt) return existing;
    const row = await tx.apiKey.update({
      where: { id },
      data: { revokedAt: new Date(), revokedBy: actor },
      select: API_KEY_SELECT,
    });
    await recordAudit(tx, {
      actor,
      action: 'api_key.revoke',
      targetType: 'api_key',
      targetId: id,
      details: { name: row.name, prefix: row.prefix },
    });
    return row;
  });
}

export type TApiKeyCredential = {
  id: string;
  name: string;
  prefix: string;
  isRevoked: boolean;
  scopes: readonly TApiKeyScope[];
};

/** The key stored under this hash (revoked ones too, so the API can say "revoked"), or null. */
export async function findApiKeyByHash(
  sql: TSqlClient,
  keyHash: string,
): Promise<TApiKeyCredential | null> {
  const result = await sql.query<{
    id: string;
    name: string;
    prefix: string;
    is_revoked: boolean;
    scopes: string[];
  }>(
    // scopes as text[]: pg returns a Postgres enum array as an unparsed string.
    'SELECT id, name, prefix, revoked_at IS NOT NULL AS is_revoked, scopes::text[] AS scopes FROM api_keys WHERE key_hash = $1',
    [keyHash],
  );
  const row = result.rows[0];
  if (!row) return null;
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    isRevoked: row.is_revoked,
    scopes: row.scopes
      ? API_KEY_SCOPES.filter((scope) => row.scopes.includes(scope))
      : DEFAULT_API_KEY_SCOPES,
  };
}

/**
 * Records when keys were last used, many keys in one statement (the API collects uses in memory
 * and flushes them every few seconds). Never moves a key's time backwards.
 */
export async function recordApiKeysUsed(
  sql: TSqlClient,
  usedAt: ReadonlyMap<string, Date>,
): Promise<void> {
  if (usedAt.size === 0) return;
  await sql.query(
    `UPDATE api_keys AS k SET last_used_at = GREATEST(k.last_used_at, u.used_at)
       FROM unnest($1::uuid[], $2::timestamptz[]) AS u(id, used_at)
      WHERE k.id = u.id`,
    [[...usedAt.keys()], [...usedAt.values()]],
  );
}
