// Months as plain values: the scorer always works on one calendar month of one taxi type.
import { z } from 'zod';

export type TMonth = { year: number; month: number };

const MONTH_RE = /^(\d{4})-(\d{2})$/;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})/;

/** Parses `YYYY-MM` (as in `--from 2021-01`). */
export function parseMonth(text: string): TMonth {
  const match = MONTH_RE.exec(text.trim());
  if (!match) throw new Error(`expected a month as YYYY-MM, got "${text}"`);
  return checkMonth({ year: Number(match[1]), month: Number(match[2]) });
}

export function checkMonth(value: TMonth): TMonth {
  return ZMonth.parse(value);
}

export const ZMonth = z.object({
  year: z.number().int().min(2009).max(2100).describe('calendar year of the trips'),
  month: z.number().int().min(1).max(12).describe('calendar month of the trips, 1..12'),
});

/**
 * The course's container form: `DATE=2021-03-01` scores the month before the date, as the
 * scheduled job on the 2nd of each month scores the month that just ended.
 */
export function previousMonthOf(date: string | Date): TMonth {
  let year: number;
  let month: number;
  if (typeof date === 'string') {
    const match = DATE_RE.exec(date.trim());
    if (!match) throw new Error(`expected a date as YYYY-MM-DD, got "${date}"`);
    year = Number(match[1]);
    month = Number(match[2]);
    if (month < 1 || month > 12) throw new Error(`expected a date as YYYY-MM-DD, got "${date}"`);
  } else {
    year = date.getUTCFullYear();
    month = date.getUTCMonth() + 1;
  }
  return month === 1 ? { year: year - 1, month: 12 } : { year, month: month - 1 };
}

/** Every month from `from` to `to`, both included, in order. */
export function listMonths(from: TMonth, to: TMonth): TMonth[] {
  if (compareMonths(from, to) > 0) {
    throw new Error(`--from ${formatMonth(from)} is after --to ${formatMonth(to)}`);
  }
  const months: TMonth[] = [];
  let current = from;
  while (compareMonths(current, to) <= 0) {
    months.push(current);
    current = current.month === 12 ? { year: current.year + 1, month: 1 } : { year: current.year, month: current.month + 1 };
  }
  return months;
}

export function compareMonths(a: TMonth, b: TMonth): number {
  return a.year * 12 + a.month - (b.year * 12 + b.month);
}

export function formatMonth({ year, month }: TMonth): string {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}`;
}

/** [start, end) of the month in epoch milliseconds, UTC (TLC timestamps carry no zone). */
export function monthBoundsMs({ year, month }: TMonth): { startMs: number; endMs: number } {
  return { startMs: Date.UTC(year, month - 1, 1), endMs: Date.UTC(year, month, 1) };
}
