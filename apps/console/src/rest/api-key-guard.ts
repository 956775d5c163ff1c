import type { IncomingMessage } from 'node:http';
import { hashApiKey } from '@tripcast/db/queries/api-keys';
import type { TApiKeyCredential, TApiKeyScope } from '@tripcast/db/queries/api-keys';
import { onApiKeyRevoked } from '../server/api-key-revocations';
import { HttpError } from './http-error';

/**
 * Who may call the prediction API: `Authorization: Bearer <key>` with a key created in the
 * console (stored hashed, see @tripcast/db/queries/api-keys), and how often (a token bucket per key).
 *
 * - Lookups are cached for `cacheTtlMs` (1 s by default), unknown keys included (so a flood of bad
 *   keys costs one query per key per second, not one per request). A key revoked from this
 *   process's console is dropped from the cache at once (src/server/api-key-revocations); other
 *   processes stop accepting it within the TTL, with no coordination between them.
 * - Last use is collected in memory and written for all keys in one statement every
 *   `usageFlushIntervalMs` (and on close): never a write on the request path.
 * - When the database cannot answer (a lookup fails or takes over `lookupTimeoutMs`), a key this
 *   process has seen valid within `staleGraceMs` keeps working from the cache (and one seen
 *   revoked stays refused): a database stall must not take the API down for known callers. Any
 *   other key gets 503 with Retry-After at once, never a hang or a 500. For `unavailableRetryMs`
 *   after a failed lookup no new lookup is tried, so requests do not queue behind a stalled pool.
 * - `allowAnonymous` (PREDICT_API_ALLOW_ANONYMOUS) restores the course's unauthenticated shape for
 *   local use: a request without an Authorization header is served (not rate limited); a request
 *   that does send a key must still send a valid one. It opens `predict` only: reads always need a key.
 * - Scopes: each endpoint names the scope it needs (`predict`, `read`); a valid key without it is
 *   refused with 403 (after the rate limit, so probing scopes costs tokens like any request).
 */
export type TApiCaller = { kind: 'key'; keyId: string; keyName: string } | { kind: 'anonymous' };

export type TApiKeyGuard = {
  authorize(req: IncomingMessage, scope?: TApiKeyScope): Promise<TApiCaller>;
  /** Writes pending last-used times and stops the timer. */
  close(): Promise<void>;
};

export type TApiKeyGuardOptions = {
  findKey: (keyHash: string) => Promise<TApiKeyCredential | null>;
  recordUsed: (usedAt: ReadonlyMap<string, Date>) => Promise<void>;
  allowAnonymous: boolean;
  /** Sustained requests per second per key, and how many may come at once (bucket size). */
  rateLimit: { perSecond: number; burst: number };
  cacheTtlMs?: number;
  /** A lookup slower than this counts as "database unavailable" (default 500 ms). */
  lookupTimeoutMs?: number;
  /** How long a key seen valid keeps working while the database cannot answer (default 2 min). */
  staleGraceMs?: number;
  /** After a failed lookup, answer from the cache (or 503) for this long before asking again (default 1 s). */
  unavailableRetryMs?: number;
  usageFlushIntervalMs?: number;
  now?: () => number;
  log?: (message: string) => void;
};

/** Bounds the lookup cache: past this many entries it is cleared rather than grown. */
const MAX_CACHED_KEYS = 10_000;
const BEARER = /^Bearer[ ]+(\S+)\s*$/i;
/** A lookup the database never answers (a dead connection) stops counting as a stall after this. */
const STALLED_LOOKUP_MAX_MS = 30_000;

function unauthorized(message: string): HttpError {
  return new HttpError({
    status: 401,
    code: 'unauthorized',
    message,
    headers: { 'www-authenticate': 'Bearer realm="tripcast-predict"' },
  });
}

function databaseUnavailable(retryAfterSeconds: number): HttpError {
  return new HttpError({
    status: 503,
    code: 'service_unavailable',
    message: `API keys cannot be checked right now (the database is not answering); retry after ${retryAfterSeconds} s`,
    headers: { 'retry-after': String(retryAfterSeconds) },
  });
}

export function createApiKeyGuard(options: TApiKeyGuardOptions): TApiKeyGuard {
  const now = options.now ?? (() => performance.now());
  const cacheTtlMs = options.cacheTtlMs ?? 1000;
  const lookupTimeoutMs = options.lookupTimeoutMs ?? 500;
  const staleGraceMs = options.staleGraceMs ?? 120_000;
  const unavailableRetryMs = options.unavailableRetryMs ?? 1000;
  const { perSecond, burst } = options.rateLimit;
  const log = options.log ?? ((message) => console.warn(`[console] ${message}`));

  const cache = new Map<string, { credential: TApiKeyCredential | null; fetchedAt: number }>();
  /** One database lookup per key at a time: concurrent requests for the key share it. */
  const inFlight = new Map<string, Promise<TApiKeyCredential | null>>();
  const buckets = new Map<string, { tokens: number; updatedAt: number }>();
  let pendingUses = new Map<string, Date>();
  /** While now() is before this, the database is taken as unavailable and not asked. */
  let unavailableUntil = 0;
  let lastUnavailableLogAt = -Infinity;
  /**
   * Lookups that timed out and that the database has not answered yet: while there are any (for
   * at most STALLED_LOOKUP_MAX_MS), it is still stalled, and asking again would only pile more
   * queries on the pool that history writes also use.
   */
  let stalledLookups = 0;
  let lastStallAt = -Infinity;

  function isDatabaseUnavailable(at: number): boolean {
    return at < unavailableUntil || (stalledLookups > 0 && at - lastStallAt < STALLED_LOOKUP_MAX_MS);
  }

  function fetchKey(keyHash: string): Promise<TApiKeyCredential | null> {
    let lookup = inFlight.get(keyHash);
    if (!lookup) {
      let timer: NodeJS.Timeout | undefined;
      const query = options.findKey(keyHash);
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          stalledLookups += 1;
          lastStallAt = now();
          const settle = () => void (stalledLookups -= 1);
          query.then(settle, settle);
          reject(new Error(`API key lookup took over ${lookupTimeoutMs} ms`));
        }, lookupTimeoutMs);
      });
      lookup = Promise.race([query, timeout]).finally(() => {
        clearTimeout(timer);
        inFlight.delete(keyHash);
      });
      inFlight.set(keyHash, lookup);
    }
    return lookup;
  }

  async function lookup(keyHash: string): Promise<TApiKeyCredential | null> {
    const cached = cache.get(keyHash);
    const at = now();
    if (cached && at - cached.fetchedAt < cacheTtlMs) return cached.credential;
    // A key seen within the grace period (valid, or revoked: a revocation seen is never forgotten).
    const fallback = cached?.credential && at - cached.fetchedAt <= staleGraceMs ? cached.credential : null;
    if (isDatabaseUnavailable(at)) {
      if (fallback) return fallback;
      throw databaseUnavailable(Math.max(1, Math.ceil((unavailableUntil - at) / 1000)));
    }
    try {
      const credential = await fetchKey(keyHash);
      if (cache.size >= MAX_CACHED_KEYS) cache.clear();
      cache.set(keyHash, { credential, fetchedAt: now() });
      return credential;
    } catch (error) {
      const failedAt = now();
      unavailableUntil = Math.max(unavailableUntil, failedAt + unavailableRetryMs);
      if (failedAt - lastUnavailableLogAt >= 10_000) {
        lastUnavailableLogAt = failedAt;
        log(`API key lookup failed (${error instanceof Error ? error.message : String(error)}); serving keys seen in the last ${Math.round(staleGraceMs / 1000)} s from cache, 503 for others`);
      }
      if (fallback) return fallback;
      throw databaseUnavailable(Math.max(1, Math.ceil(unavailableRetryMs / 1000)));
    }
  }

  /** Token bucket: `burst` tokens, refilled at `perSecond`; throws 429 with Retry-After when empty. */
  function takeToken(keyId: string): void {
    const at = now();
    const bucket = buckets.get(keyId) ?? { tokens: burst, updatedAt: at };
    bucket.tokens = Math.min(burst, bucket.tokens + ((at - bucket.updatedAt) / 1000) * perSecond);
    bucket.updatedAt = at;
    buckets.set(keyId, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return;
    }
    const retryAfterSeconds = Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond));
    throw new HttpError({
      status: 429,
      code: 'rate_limited',
      message: `This API key is limited to ${perSecond} requests/s (bursts of ${burst}); retry after ${retryAfterSeconds} s`,
      headers: { 'retry-after': String(retryAfterSeconds) },
    });
  }

  async function flushUses(): Promise<void> {
    if (pendingUses.size === 0) return;
    const batch = pendingUses;
    pendingUses = new Map();
    try {
      await options.recordUsed(batch);
    } catch (error) {
      // Keep the newest time per key for the next flush; last-used is informational, never fatal.
      for (const [id, at] of batch) if (!pendingUses.has(id)) pendingUses.set(id, at);
      log(`could not record API key use: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const unsubscribe = onApiKeyRevoked((keyId) => {
    // Kept as revoked (not dropped): refused at once, and still refused if the database stalls.
    for (const entry of cache.values())
      if (entry.credential?.id === keyId) entry.credential = { ...entry.credential, isRevoked: true };
  });
  const timer = setInterval(() => void flushUses(), options.usageFlushIntervalMs ?? 5000);
  timer.unref();

  return {
    async authorize(req, scope = 'predict') {
      const header = req.headers.authorization;
      if (header === undefined) {
        if (options.allowAnonymous && scope === 'predict') return { kind: 'anonymous' };
        throw unauthorized('Missing API key: send "Authorization: Bearer <key>" (admins create keys on the console\'s API keys page)');
      }
      const match = BEARER.exec(header);
      if (!match) throw unauthorized('Malformed Authorization header: expected "Bearer <key>"');
      const credential = await lookup(hashApiKey(match[1]!));
      if (!credential) throw unauthorized('Invalid API key');
      if (credential.isRevoked) throw unauthorized(`API key ${credential.prefix}… was revoked`);
      takeToken(credential.id);
      pendingUses.set(credential.id, new Date());
      if (!credential.scopes.includes(scope)) {
        throw new HttpError({
          status: 403,
          code: 'forbidden',
          message: `API key ${credential.prefix}… may not ${scope} (its scopes: ${credential.scopes.join(', ')}); an admin creates a key with the ${scope} scope on the API keys page`,
        });
      }
      return { kind: 'key', keyId: credential.id, keyName: credential.name };
    },
    async close() {
      clearInterval(timer);
      unsubscribe();
      await flushUses();
    },
  };
}
