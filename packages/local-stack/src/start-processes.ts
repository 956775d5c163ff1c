/**
 * The processes `npm start` runs once its servers are up: one-shot jobs in order (the first
 * failure stops the start), then long-running services, each restarted with backoff when it
 * dies (superviseService); only a crash loop stops the stack.
 */
import path from 'node:path';
import { LocalStackError } from './errors';
import type { THomeLayout } from './home';
import type { TLogger } from './log';
import type { TPlannedProcess } from './plan';
import { spawnNpmScript } from './processes';
import type { TChildProcess } from './processes';
import { superviseService } from './supervise';
import type { TCrashLoop, TRestartPolicy } from './supervise';

/** Thrown when Ctrl-C / SIGTERM arrives mid-start: an orderly stop, not a failure. */
export class AbortedError extends Error {
  constructor() {
    super('aborted');
  }
}

export type TProcessContext = {
  repoRoot: string;
  layout: THomeLayout;
  logger: TLogger;
  say: (text: string) => void;
  childEnv: NodeJS.ProcessEnv;
  /** Every running child, so a stop reaches it. */
  children: TChildProcess[];
  aborted: Promise<void>;
  checkAborted: () => void;
};

/** Runs the one-shot jobs in order; throws on the first that fails. */
export async function runJobs(context: TProcessContext, jobs: TPlannedProcess[]): Promise<void> {
  const { say, children } = context;
  for (const entry of jobs) {
    context.checkAborted();
    say(`running ${entry.name} (npm run ${entry.script} -w ${entry.workspace})`);
    const started = performance.now();
    const job = spawnNpmScript({
      name: entry.name,
      script: entry.script,
      cwd: path.join(context.repoRoot, entry.dir),
      env: context.childEnv,
      logger: context.logger,
    });
    children.push(job);
    const exit = await Promise.race([job.exited, context.aborted.then(() => undefined)]);
    if (exit === undefined) throw new AbortedError();
    children.splice(children.indexOf(job), 1);
    if (exit.code !== 0) {
      throw new LocalStackError(
        `${entry.name} failed (${exit.signal ?? `exit ${exit.code}`}); see its lines above or ${path.join(context.layout.logs, `${entry.name}.log`)}`,
      );
    }
    say(`${entry.name} done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
}

/** Starts the services under supervision; resolves to the first crash loop (never, without services). */
export function startServices(
  context: TProcessContext,
  services: TPlannedProcess[],
  policy: TRestartPolicy,
): Promise<TCrashLoop> {
  const { say, children } = context;
  const crashLoops: Promise<TCrashLoop>[] = [];
  for (const entry of services) {
    context.checkAborted();
    const service = superviseService({
      name: entry.name,
      spawn: () =>
        spawnNpmScript({
          name: entry.name,
          script: entry.script,
          cwd: path.join(context.repoRoot, entry.dir),
          env: context.childEnv,
          logger: context.logger,
        }),
      policy,
      say,
    });
    children.push(service);
    crashLoops.push(service.gaveUp);
    say(`started ${entry.name} (pid ${service.pid})`);
  }
  return crashLoops.length > 0 ? Promise.race(crashLoops) : new Promise<never>(() => undefined);
}
