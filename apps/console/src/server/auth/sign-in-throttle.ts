/**
 * Throttles password guessing: after `maxFailures` failed sign-ins for one email from one client
 * IP within `windowMs`, further attempts for that pair are refused until the window has passed.
 * Only failures count, so a correct password never locks anyone out; a success clears the count.
 * In-process (per console instance): with N instances an attacker gets N times the attempts,
 * still far from enough to guess a 12+ character password.
 */
export type TSignInThrottle = {
  /** Seconds to wait before the next attempt, or 0 when an attempt is allowed now. */
  retryAfterSeconds(key: string): number;
  recordFailure(key: string): void;
  recordSuccess(key: string): void;
};

export function createSignInThrottle(
  options: { maxFailures?: number; windowMs?: number; now?: () => number } = {},
): TSignInThrottle {
  const maxFailures = options.maxFailures ?? 5;
  const windowMs = options.windowMs ?? 15 * 60_000;
  const now = options.now ?? Date.now;
  const failures = new Map<string, { count: number; firstAt: number }>();

  function current(key: string) {
    const entry = failures.get(key);
    if (entry && now() - entry.firstAt >= windowMs) {
      failures.delete(key);
      return undefined;
    }
    return entry;
  }

  return {
    retryAfterSeconds(key) {
      const entry = current(key);
      if (!entry || entry.count < maxFailures) return 0;
      return Math.max(1, Math.ceil((entry.firstAt + windowMs - now()) / 1000));
    },
    recordFailure(key) {
      // Bound memory under a spray of random emails: forget everything rather than grow forever.
      if (failures.size > 100_000) failures.clear();
      const entry = current(key);
      if (entry) entry.count += 1;
      else failures.set(key, { count: 1, firstAt: now() });
    },
    recordSuccess(key) {
      failures.delete(key);
    },
  };
}
