// Progress of a long run, for whoever watches: a bar on a terminal, JSON log lines otherwise
// (containers, the local scheduler, CI). The run record gets the same figures via the heartbeat.
import { SingleBar, Presets } from 'cli-progress';
import type { Logger } from 'pino';

export type TProgressState = { rowsRead: number; rowsScored: number; rowsRejected: number; totalRows: number };

export type TProgressReporter = {
  start(label: string, totalRows: number): void;
  update(state: TProgressState): void;
  stop(): void;
};

export function createProgressReporter(options: { isTty: boolean; log: Logger; logEveryMs?: number }): TProgressReporter {
  return options.isTty ? createBarReporter() : createLogReporter(options.log, options.logEveryMs ?? 5_000);
}

function createBarReporter(): TProgressReporter {
  let bar: SingleBar | null = null;
  return {
    start(label, totalRows) {
      bar = new SingleBar(
        {
          format: `${label} [{bar}] {percentage}% | {value}/{total} rows | scored {scored} | rejected {rejected} | {eta_formatted} left`,
          hideCursor: true,
          stream: process.stderr,
        },
        Presets.shades_classic,
      );
      bar.start(Math.max(1, totalRows), 0, { scored: 0, rejected: 0 });
    },
    update(state) {
      bar?.update(state.rowsRead, { scored: state.rowsScored, rejected: state.rowsRejected });
    },
    stop() {
      bar?.stop();
      bar = null;
    },
  };
}

function createLogReporter(log: Logger, everyMs: number): TProgressReporter {
  let lastAt = 0;
  let label = '';
  return {
    start(runLabel, totalRows) {
      label = runLabel;
      lastAt = Date.now();
      log.info({ run: label, totalRows }, 'scoring started');
    },
    update(state) {
      const now = Date.now();
      if (now - lastAt < everyMs) return;
      lastAt = now;
      const progress = state.totalRows ? state.rowsRead / state.totalRows : 0;
      log.info({ run: label, ...state, progress: Math.round(progress * 1000) / 1000 }, 'scoring progress');
    },
    stop() {},
  };
}

/** A reporter that shows nothing (library callers, tests, the bench). */
export const SILENT_PROGRESS: TProgressReporter = { start() {}, update() {}, stop() {} };
