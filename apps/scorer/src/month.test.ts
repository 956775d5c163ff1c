import { describe, expect, it } from 'vitest';

import { listMonths, parseMonth, previousMonthOf } from './month';

describe('months', () => {
  it('DATE=2021-03-01 scores 2021-02, and January goes back a year (the container form)', () => {
    expect(previousMonthOf('2021-03-01')).toEqual({ year: 2021, month: 2 });
    expect(previousMonthOf('2022-01-02')).toEqual({ year: 2021, month: 12 });
    expect(previousMonthOf(new Date(Date.UTC(2024, 6, 2, 3)))).toEqual({ year: 2024, month: 6 });
    expect(() => previousMonthOf('March')).toThrow(/YYYY-MM-DD/);
  });

  it('lists a backfill range in order across a year boundary', () => {
    expect(listMonths(parseMonth('2020-11'), parseMonth('2021-02'))).toEqual([
      { year: 2020, month: 11 },
      { year: 2020, month: 12 },
      { year: 2021, month: 1 },
      { year: 2021, month: 2 },
    ]);
    expect(() => listMonths(parseMonth('2021-06'), parseMonth('2021-01'))).toThrow(/after/);
    expect(() => parseMonth('2021-13')).toThrow();
  });
});
