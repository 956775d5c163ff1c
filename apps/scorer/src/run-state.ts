// The run lifecycle: queued -> running -> succeeded | failed. A rerun of the same run id
// (idempotent replay after a crash or on purpose) starts it running again from any state
// but `running` with a live heartbeat, which the caller checks against the record.

export const RUN_STATUSES = ['queued', 'running', 'succeeded', 'failed'] as const;
export type TRunStatus = (typeof RUN_STATUSES)[number];

const ALLOWED: Record<TRunStatus, readonly TRunStatus[]> = {
  queued: ['running', 'failed'],
  // running -> running is the rerun of a run whose process died (heartbeat stale, or reaped later).
  running: ['succeeded', 'failed', 'running'],
  succeeded: ['running'],
  failed: ['running'],
};

export function canTransition(from: TRunStatus, to: TRunStatus): boolean {
  return ALLOWED[from].includes(to);
}

export function assertTransition(runId: string, from: TRunStatus, to: TRunStatus): void {
  if (!canTransition(from, to)) {
    throw new Error(`run ${runId}: cannot go from ${from} to ${to}`);
  }
}

export function isTerminal(status: TRunStatus): boolean {
  return status === 'succeeded' || status === 'failed';
}
