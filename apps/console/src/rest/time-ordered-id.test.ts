import { describe, expect, it } from 'vitest';

import { createTimeOrderedId } from './time-ordered-id';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('createTimeOrderedId', () => {
  it('is a UUIDv7 whose first 48 bits are the millisecond timestamp', () => {
    const now = Date.UTC(2026, 11, 5, 8, 30, 0, 123);
    const id = createTimeOrderedId(now);
    expect(id).toMatch(UUID_V7);
    expect(parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(now);
  });

  it('orders by time across milliseconds, and never repeats', () => {
    const ids = Array.from({ length: 20_000 }, (_, i) => createTimeOrderedId(1_800_000_000_000 + Math.floor(i / 100)));
    expect(new Set(ids).size).toBe(ids.length);
    for (let i = 100; i < ids.length; i += 100) expect(ids[i]! > ids[i - 1]!).toBe(true);
    // The random part varies: no two ids in the same millisecond share their last 74 bits.
    expect(new Set(ids.slice(0, 100).map((id) => id.slice(15))).size).toBe(100);
  });

  it('uses the current time by default', () => {
    const before = Date.now();
    const id = createTimeOrderedId();
    const time = parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
    expect(time).toBeGreaterThanOrEqual(before);
    expect(time).toBeLessThanOrEqual(Date.now());
  });
});
