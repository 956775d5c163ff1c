/**
 * Revocations announced inside this process, so the REST API's key cache (src/rest/api-key-guard)
 * drops a key revoked from this console at once instead of after its cache TTL. The channel hangs
 * off globalThis because server.ts (loaded by tsx) and Next's bundled copy of the tRPC routers are
 * two module instances in one process. Other processes see the revocation within the TTL (1 s).
 */
type TListener = (keyId: string) => void;

const CHANNEL = Symbol.for('tripcast.apiKeyRevocations');

function listeners(): Set<TListener> {
  const holder = globalThis as unknown as Record<symbol, Set<TListener> | undefined>;
  holder[CHANNEL] ??= new Set();
  return holder[CHANNEL];
}

export function announceApiKeyRevoked(keyId: string): void {
  for (const listener of listeners()) listener(keyId);
}

/** Returns the unsubscribe function. */
export function onApiKeyRevoked(listener: TListener): () => void {
  listeners().add(listener);
  return () => listeners().delete(listener);
}
