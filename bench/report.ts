// One figure of a benchmark, in the shape `npm run bench` (bench/run-all.ts) collects into its table.
// Each bench keeps printing its own detailed output; it also calls reportFigure for every figure an
// issue names, and when BENCH_REPORT_FILE is set the figure is appended there as one JSON line.
import { appendFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';

export type TTarget =
  /** The figure itself against a bound, e.g. COPY >= 300k rows/s, peak RSS < 512 MB. */
  | { kind: 'at-least' | 'at-most'; value: number }
  /** The ratio figure / reference against a bound: <= 1.5x the I/O floor, >= 5x Flask's req/s. */
  | { kind: 'ratio-at-most' | 'ratio-at-least'; value: number }
  /** The ratio reference / figure against a bound, e.g. >= 10x faster than the course pipeline. */
  | { kind: 'speedup-at-least'; value: number };

export type TFigure = {
  bench: string;
  name: string;
  value: number;
  unit: string;
  /** The same thing done the reference way, measured in the same run. */
  reference?: { name: string; value: number; unit: string };
  target: TTarget;
  /** 1-minute load average while measuring (the larger of before and after when both are known). */
  loadAverage: number;
  cores: number;
};

/** The load average now; call it before a measurement and pass it to reportFigure as `loadBefore`. */
export const currentLoad = (): number => loadavg()[0] ?? 0;

/** figure / reference, or reference / figure for a speedup; null without a reference. */
export function figureRatio(figure: Pick<TFigure, 'value' | 'reference' | 'target'>): number | null {
  const reference = figure.reference?.value;
  if (reference == null || reference === 0 || figure.value === 0) return null;
  return figure.target.kind === 'speedup-at-least' ? reference / figure.value : figure.value / reference;
}

/** Whether the figure meets its target, whatever the machine's load. */
export function meetsTarget(figure: Pick<TFigure, 'value' | 'reference' | 'target'>): boolean | null {
  const { target } = figure;
  if (target.kind === 'at-least') return figure.value >= target.value;
  if (target.kind === 'at-most') return figure.value <= target.value;
  const ratio = figureRatio(figure);
  if (ratio == null) return null;
  return target.kind === 'ratio-at-most' ? ratio <= target.value : ratio >= target.value; // ratio-at-least, speedup-at-least
}

/** MET / MISS, or no verdict when the machine was busier than it has cores (the figure is not a figure). */
export function verdictOf(figure: TFigure): 'MET' | 'MISS' | 'LOADED' | 'n/a' {
  const met = meetsTarget(figure);
  if (met == null) return 'n/a';
  if (figure.loadAverage > figure.cores) return 'LOADED';
  return met ? 'MET' : 'MISS';
}

export function describeTarget(target: TTarget, unit: string): string {
  switch (target.kind) {
    case 'at-least':
      return `>= ${target.value.toLocaleString('en-US')} ${unit}`;
    case 'at-most':
      return `<= ${target.value.toLocaleString('en-US')} ${unit}`;
    case 'ratio-at-most':
      return `<= ${target.value}x reference`;
    case 'ratio-at-least':
      return `>= ${target.value}x reference`;
    case 'speedup-at-least':
      return `>= ${target.value}x faster than reference`;
  }
}

/** Records one figure for `npm run bench` (a no-op when the bench runs on its own). */
export function reportFigure(figure: Omit<TFigure, 'loadAverage' | 'cores'> & { loadBefore?: number }): void {
  const file = process.env.BENCH_REPORT_FILE;
  if (!file) return;
  const { loadBefore, ...rest } = figure;
  const line: TFigure = {
    ...rest,
    loadAverage: Math.max(loadBefore ?? 0, currentLoad()),
    cores: availableParallelism(),
  };
  appendFileSync(file, `${JSON.stringify(line)}\n`);
}
