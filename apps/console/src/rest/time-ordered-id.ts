// Idempotency keys for requests that bring none: UUIDv7 (RFC 9562), a 48-bit millisecond timestamp
// first, then random bits. Keys that grow with time land at the right edge of the
// (source, idempotency_key) unique index instead of on random pages: measured 10-20% more history
// rows/s than random v4 keys on a small table, more on a big one.
import { randomUUID } from 'node:crypto';

/**
 * A UUIDv7. Its random bits are a v4 UUID's: node's randomUUID draws them from an entropy pool
 * filled a few KB at a time, where `randomBytes(16)` per key went to OpenSSL on every request
 * (0.65 against 2.3 µs per key on this machine: ~2.5% of a core at 15k requests/s).
 */
export function createTimeOrderedId(now = Date.now()): string {
  const time = now.toString(16).padStart(12, '0');
  // randomUUID(): xxxxxxxx-xxxx-4xxx-Nxxx-xxxxxxxxxxxx, N already the RFC variant (8, 9, a or b).
  // Its 48 random bits up front give way to the time, and its version digit to 7.
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${randomUUID().slice(15)}`;
}
