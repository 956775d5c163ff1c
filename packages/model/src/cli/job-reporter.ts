// `train --job-id`: the train CLI reports into its training_jobs row (wherever it runs: a child
// process of the console, an ECS task). It claims the job, then sends its phase, progress and the
// lines it prints with a heartbeat, and finishes the job with the registered version and card or
// fails it with the error. The row is the only channel back: the console polls it, the reaper
// fails it when the heartbeats stop.
import { createPgPool } from '@tripcast/db/client';
import {
  claimTrainingJob,
  completeTrainingJob,
  failTrainingJob,
  recordTrainingProgress,
  type TTrainingPhase,
} from '@tripcast/db/queries/training-jobs';

import type { TTrainProgressEvent } from '../training/train';

/** Often enough for a live log in the console; the reaper waits far longer (minutes). */
const FLUSH_INTERVAL_MS = 1_000;

/** Where each phase starts on the job's 0..1 progress bar (reading months fills up to fitting). */
const PHASE_START: Record<TTrainingPhase, number> = {
  'reading months': 0,
  fitting: 0.5,
  validating: 0.7,
  exporting: 0.85,
  registering: 0.95,
};

export type TJobReporter = {
  /** Print a line (stdout) and send it to the job's log. */
  log(line: string): void;
  /** The trainer's progress callback (trainModel's onProgress); `fileIndex`: which training month. */
  onTrainProgress(event: TTrainProgressEvent, fileIndex?: number): void;
  phase(phase: TTrainingPhase): Promise<void>;
  complete(result: { modelVersion: string; card: unknown }): Promise<void>;
  fail(error: string): Promise<void>;
  close(): Promise<void>;
};

/** Claims the job (refused unless it is queued) and starts the heartbeat. */
export async function startJobReporter(options: {
  databaseUrl: string;
  jobId: string;
  trainFileCount: number;
  /** stdout by default; tests collect the lines. */
  print?: (line: string) => void;
}): Promise<TJobReporter> {
  const print = options.print ?? ((line: string) => console.log(line));
  const pool = createPgPool(options.databaseUrl, { max: 1, applicationName: 'tripcast-train' });
  try {
    await claimTrainingJob(pool, options.jobId);
  } catch (error) {
    await pool.end();
    throw error;
  }
  let pending: string[] = [];
  let current: { phase?: TTrainingPhase; progress?: number; rowsRead?: number } = {};
  let isStopped = false;
  // One write at a time, in order: the heartbeat and phase changes chain on this.
  let writing: Promise<void> = Promise.resolve();
  const flush = () => {
    const logLines = pending;
    pending = [];
    const report = { ...current, logLines };
    writing = writing
      .then(async () => {
        const isRunning = await recordTrainingProgress(pool, options.jobId, report);
        if (!isRunning && !isStopped) {
          isStopped = true;
          print(
            `train: job ${options.jobId} is no longer running (reaped or finished elsewhere): stopping`,
          );
        }
      })
      .catch((error: unknown) => {
        // A lost connection must not kill a training that may still finish: say so, retry next tick.
        pending = [...logLines, ...pending];
        print(`train: could not report to job ${options.jobId}: ${(error as Error).message}`);
      });
    return writing;
  };
  const timer = setInterval(() => void flush(), FLUSH_INTERVAL_MS);
  timer.unref();
  let validationReported = false;

  const reporter: TJobReporter = {
    log(line) {
      print(line);
      pending.push(line);
    },
    onTrainProgress(event, fileIndex = 0) {
      // The job was reaped: stop reading rather than train a model nobody will see.
      if (isStopped) throw new Error(`job ${options.jobId} is no longer running`);
      if (event.phase === 'train') {
        current = {
          phase: 'reading months',
          progress: (PHASE_START.fitting * fileIndex) / Math.max(1, options.trainFileCount),
          rowsRead: event.rowsRead,
        };
      } else if (event.phase === 'fit') {
        current = { ...current, phase: 'fitting', progress: PHASE_START.fitting };
        void flush();
      } else if (event.phase === 'validate') {
        current = { ...current, phase: 'validating' };
        if (!validationReported) {
          validationReported = true;
          current.progress = PHASE_START.validating;
          void flush();
        }
      } else {
        current = { ...current, phase: 'exporting', progress: PHASE_START.exporting };
        void flush();
      }
    },
    async phase(phase) {
      current = { ...current, phase, progress: PHASE_START[phase] };
      await flush();
    },
    async complete(result) {
      clearInterval(timer);
      await flush();
      await completeTrainingJob(pool, options.jobId, result);
    },
    async fail(error) {
      clearInterval(timer);
      await flush();
      await failTrainingJob(pool, options.jobId, error);
    },
    async close() {
      clearInterval(timer);
      await writing;
      await pool.end();
    },
  };
  return reporter;
}
