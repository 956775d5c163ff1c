import { describe, expect, it } from 'vitest';

import { canTransition } from './run-state';
import { createSummaryAccumulator } from './stats';

describe('summary statistics', () => {
  it('computes mean, nearest-rank p50/p95, the histogram and RMSE/MAE across chunks', () => {
    const acc = createSummaryAccumulator();
    // predictions 1..100 minutes in two chunks; actual = predicted + 2 except one unknown, one of 70 min.
    const p1 = Float32Array.from({ length: 50 }, (_, i) => i + 1);
    const p2 = Float32Array.from({ length: 50 }, (_, i) => i + 51);
    const a1 = p1.map((p) => p + 2);
    const a2 = p2.map((p) => p + 2);
    a2[0] = NaN;
    acc.addScored(p1, a1);
    acc.addScored(p2, a2);
    acc.addRejects({ null_zone: 3 });
    acc.addRejects({ null_zone: 1, zone_out_of_range: 2 });
    const s = acc.summarize();
    expect(s.predicted).toEqual({ count: 100, mean: 50.5, min: 1, max: 100, p50: 50, p95: 95 });
    expect(s.error).toEqual({ count: 99, rmse: 2, mae: 2 });
    // course range: actual in 1..60 -> predictions 1..58 (actual 3..60), less prediction 51 (actual unknown)
    expect(s.errorCourseRange.count).toBe(57);
    expect(s.histogram[0]).toEqual({ from: 0, to: 5, count: 4 }); // 1,2,3,4
    expect(s.histogram.at(-1)).toEqual({ from: 60, to: null, count: 41 }); // 60..100
    expect(s.histogram.reduce((n, b) => n + b.count, 0)).toBe(100);
    expect(s.rejectsByReason).toEqual({ null_zone: 4, zone_out_of_range: 2 });
  });

  it('has no figures for an empty run rather than NaN', () => {
    const s = createSummaryAccumulator().summarize();
    expect(s.predicted.mean).toBeNull();
    expect(s.error.rmse).toBeNull();
  });
});

describe('run lifecycle', () => {
  it('allows queued -> running -> succeeded|failed and reruns from a terminal state, not queued -> succeeded', () => {
    expect(canTransition('queued', 'running')).toBe(true);
    expect(canTransition('running', 'succeeded')).toBe(true);
    expect(canTransition('running', 'failed')).toBe(true);
    expect(canTransition('failed', 'running')).toBe(true);
    expect(canTransition('queued', 'succeeded')).toBe(false);
    expect(canTransition('succeeded', 'failed')).toBe(false);
  });
});
