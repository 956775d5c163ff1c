import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * What `npm start` runs after the servers are up: one-shot jobs in order, then long-running
 * services. Each runs only if its workspace defines the script, so an app joins `npm start`
 * by adding its `start:local` (or `migrate` / `bootstrap`) script, with no change here.
 */
export type TPlannedProcess = {
  /** Log prefix. */
  name: string;
  workspace: string;
  /** Workspace folder relative to the repo root. */
  dir: string;
  script: string;
  kind: 'job' | 'service';
  describe: string;
};

export const START_PLAN: readonly TPlannedProcess[] = [
  {
    name: 'migrate',
    workspace: '@tripcast/db',
    dir: 'packages/db',
    script: 'migrate',
    kind: 'job',
    describe: 'apply database migrations',
  },
  {
    name: 'bootstrap',
    workspace: '@tripcast/model',
    dir: 'packages/model',
    script: 'bootstrap',
    kind: 'job',
    describe: 'default model and demo data',
  },
  {
    name: 'console',
    workspace: '@tripcast/console',
    dir: 'apps/console',
    script: 'start:local',
    kind: 'service',
    describe: 'web console and prediction API',
  },
  {
    name: 'consumer',
    workspace: '@tripcast/stream-consumer',
    dir: 'apps/stream-consumer',
    script: 'start:local',
    kind: 'service',
    describe: 'scores ride_events into ride_predictions',
  },
  {
    name: 'scheduler',
    workspace: '@tripcast/scorer',
    dir: 'apps/scorer',
    script: 'start:local',
    kind: 'service',
    describe: 'monthly batch scoring schedule, daily drift job',
  },
];

export type TResolvedPlan = { runnable: TPlannedProcess[]; skipped: TPlannedProcess[] };

async function readScripts(packageJson: string): Promise<Record<string, string>> {
  try {
    const parsed = JSON.parse(await fs.readFile(packageJson, 'utf8')) as {
      scripts?: Record<string, string>;
    };
    return parsed.scripts ?? {};
  } catch {
    return {};
  }
}

/** Splits the plan into what this checkout can run and what it does not define yet. */
export async function resolvePlan(
  repoRoot: string,
  plan: readonly TPlannedProcess[] = START_PLAN,
): Promise<TResolvedPlan> {
  const resolved: TResolvedPlan = { runnable: [], skipped: [] };
  for (const entry of plan) {
    const scripts = await readScripts(path.join(repoRoot, entry.dir, 'package.json'));
    (scripts[entry.script] ? resolved.runnable : resolved.skipped).push(entry);
  }
  return resolved;
}
