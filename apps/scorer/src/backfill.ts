// A backfill scores a range of months in order, one run per month sharing a backfill id, and
// goes on after a failed month (each month's record says why); the caller gets every outcome.
import { formatMonth, type TMonth } from './month';
import type { TScoreResult } from './score-month';

export type TMonthOutcome =
  | { month: string; runId: string; status: 'succeeded'; result: TScoreResult }
  | { month: string; runId: string; status: 'failed'; error: string };

export async function runBackfill(options: {
  months: TMonth[];
  runMonth: (month: TMonth) => Promise<{ runId: string; run: () => Promise<TScoreResult> }>;
  onOutcome?: (outcome: TMonthOutcome) => void;
}): Promise<TMonthOutcome[]> {
  const outcomes: TMonthOutcome[] = [];
  for (const month of options.months) {
    const { runId, run } = await options.runMonth(month);
    let outcome: TMonthOutcome;
    try {
      outcome = { month: formatMonth(month), runId, status: 'succeeded', result: await run() };
    } catch (error) {
      outcome = { month: formatMonth(month), runId, status: 'failed', error: error instanceof Error ? error.message : String(error) };
    }
    outcomes.push(outcome);
    options.onOutcome?.(outcome);
  }
  return outcomes;
}
