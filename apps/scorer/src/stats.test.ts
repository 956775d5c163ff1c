import { createErrorMetrics } from '@tripcast/model/quality';
import { describe, expect, it } from 'vitest';

import { canTransition } from './run-state';
import { createSummaryAccumulator } from './stats';

describe('summary statistics', () => {
  it("computes mean, nearest-rank p50/p95 and the histogram across chunks, with production's error figures", () => {
    const acc = createSummaryAccumulator();
    // predictions 1..100 minutes in two chunks; actual = predicted + 2.
    const p1 = Float32Array.from({ length: 50 }, (_, i) => i + 1);
    const p2 = Float32Array.from({ length: 50 }, (_, i) => i + 51);
    const metrics = createErrorMetrics();
    metrics.add(
      p1,
      p1.map((p) => p + 2),
    );
    metrics.add(
      p2,
      p2.map((p) => p + 2),
    );
    acc.addScored(p1);
    // Only the first 40 of the second chunk's rows count.
    acc.addScored(p2, 40);
    acc.addRejects({ null_zone: 3 });
    acc.addRejects({ null_zone: 1, zone_out_of_range: 2 });
    const s = acc.summarize(metrics.result());
    expect(s.predicted).toEqual({ count: 90, mean: 45.5, min: 1, max: 90, p50: 45, p95: 86 });
    // The scored rows are the course's 1..60 min trips: the same figures under both names.
    expect(s.error).toEqual({ count: 100, rmse: 2, mae: 2 });
    expect(s.errorCourseRange).toEqual(s.error);
    expect(s.histogram[0]).toEqual({ from: 0, to: 5, count: 4 }); // 1,2,3,4
    expect(s.histogram.at(-1)).toEqual({ from: 60, to: null, count: 31 }); // 60..90
    expect(s.histogram.reduce((n, b) => n + b.count, 0)).toBe(90);
    expect(s.rejectsByReason).toEqual({ null_zone: 4, zone_out_of_range: 2 });
  });

  it('has no figures for an empty run rather than NaN', () => {
    const s = createSummaryAccumulator().summarize(createErrorMetrics().result());
    expect(s.predicted.mean).toBeNull();
    expect(s.error).toEqual({ count: 0, rmse: null, mae: null });
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
