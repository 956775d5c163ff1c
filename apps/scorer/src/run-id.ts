import { randomBytes } from 'node:crypto';

import type { TMonth } from './month';
import type { TTaxiType } from './paths';

/** `green-2021-02-<time><random>`: sortable by start, readable in a path, unique without a database. */
export function createRunId(taxiType: TTaxiType, month: TMonth, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z').toLowerCase();
  return `${taxiType}-${month.year}-${String(month.month).padStart(2, '0')}-${stamp}-${randomBytes(3).toString('hex')}`;
}

/** The scheduled run of a month has a fixed id: a second trigger of the same month replaces, never duplicates. */
export function scheduledRunId(taxiType: TTaxiType, month: TMonth): string {
  return `${taxiType}-${month.year}-${String(month.month).padStart(2, '0')}-scheduled`;
}

const RUN_ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,119}$/;

export function checkRunId(runId: string): string {
  if (!RUN_ID_RE.test(runId)) {
    throw new Error(`run id "${runId}" must be 1-120 letters, digits, _ . - (it becomes a file name)`);
  }
  return runId;
}
