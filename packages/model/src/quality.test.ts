import { describe, expect, it } from 'vitest';
import { createAgreementAccumulator, createErrorMetrics } from './quality';

describe('createErrorMetrics', () => {
  it('gives RMSE, MAE, bias and the share more than 10 minutes off, skipping unknown actuals', () => {
    const metrics = createErrorMetrics();
    // errors (predicted - actual): +2, -4, +12, NaN (skipped)
    metrics.add(Float32Array.of(12, 6, 32, 5), Float32Array.of(10, 10, 20, Number.NaN));
    metrics.add(Float32Array.of(1, 2), Float32Array.of(1, 2), 0); // count 0: nothing
    const result = metrics.result();
    expect(result.rows).toBe(3);
    expect(result.rmse).toBeCloseTo(Math.sqrt((4 + 16 + 144) / 3), 10);
    expect(result.mae).toBeCloseTo(6, 10);
    expect(result.bias).toBeCloseTo(10 / 3, 10);
    expect(result.shareOff10Minutes).toBeCloseTo(1 / 3, 10);
  });

  it('has no figures without rows', () => {
    expect(createErrorMetrics().result()).toEqual({
      rows: 0,
      rmse: null,
      mae: null,
      bias: null,
      shareOff10Minutes: null,
    });
  });
});

describe('createAgreementAccumulator', () => {
  it('measures how far two answers are apart, with a signed histogram whose ends hold the tails', () => {
    const agreement = createAgreementAccumulator();
    const a = Float32Array.from({ length: 100 }, (_, i) => 10 + (i < 10 ? 6 : 1));
    const b = Float32Array.from({ length: 100 }, () => 10);
    a[0] = 100; // +90: far beyond the histogram's last bin
    agreement.add(a, b);
    const result = agreement.result();
    expect(result.rows).toBe(100);
    expect(result.shareOver5Minutes).toBeCloseTo(0.1, 10);
    expect(result.meanDifference).toBeCloseTo((90 + 9 * 6 + 90 * 1) / 100, 5);
    expect(result.p95AbsDifference).toBeGreaterThanOrEqual(6);
    expect(result.p95AbsDifference).toBeLessThan(6.1);
    const { counts, from, binMinutes } = result.histogram;
    expect(counts.reduce((s, n) => s + n, 0)).toBe(100);
    expect(counts[counts.length - 1]).toBe(1);
    expect(counts[(1 - from) / binMinutes]).toBe(90);
  });
});
