import type { TChildProcess, TExit } from './processes';

/**
 * When a long-running service of `npm start` dies on its own (a crash, `kill -9`, an OOM kill),
 * it is started again after a backoff instead of taking the whole stack down; only a crash loop
 * (`maxCrashes` exits within `windowMs`) makes the supervisor give up on it.
 */
export type TRestartPolicy = {
  maxCrashes: number;
  windowMs: number;
  /** Wait before the first restart; doubled for each further crash in the window. */
  initialBackoffMs: number;
  maxBackoffMs: number;
};

export const DEFAULT_RESTART_POLICY: TRestartPolicy = {
  maxCrashes: 5,
  windowMs: 60_000,
  initialBackoffMs: 1_000,
  maxBackoffMs: 30_000,
};

export type TCrashLoop = { name: string; exit: TExit; crashes: number; windowMs: number };

/** A service that is restarted when it dies; `stop()`/`kill()` end it for good (no restart). */
export type TSupervisedService = TChildProcess & {
  /** Resolves if the service crash-looped and was given up on; never resolves otherwise. */
  gaveUp: Promise<TCrashLoop>;
};

export function describeExit(exit: TExit): string {
  return exit.signal ?? `exit ${exit.code}`;
}

export function superviseService(options: {
  name: string;
  spawn: () => TChildProcess;
  policy: TRestartPolicy;
  say: (text: string) => void;
  now?: () => number;
}): TSupervisedService {
  const { name, policy, say } = options;
  const now = options.now ?? Date.now;
  let current = options.spawn();
  let isStopped = false;
  let wake: (() => void) | undefined;
  let backoffTimer: NodeJS.Timeout | undefined;
  const crashTimes: number[] = [];
  let reportCrashLoop!: (loop: TCrashLoop) => void;
  const gaveUp = new Promise<TCrashLoop>((resolve) => (reportCrashLoop = resolve));

  const watch = async (): Promise<TExit> => {
    for (;;) {
      const exit = await current.exited;
      if (isStopped) return exit;
      const at = now();
      crashTimes.push(at);
      while (crashTimes.length > 0 && crashTimes[0]! <= at - policy.windowMs) crashTimes.shift();
      const crashes = crashTimes.length;
      const windowSeconds = Math.round(policy.windowMs / 1000);
      if (crashes >= policy.maxCrashes) {
        say(`${name} crashed ${crashes} times within ${windowSeconds} s (last: ${describeExit(exit)}): a crash loop; giving up on it`);
        reportCrashLoop({ name, exit, crashes, windowMs: policy.windowMs });
        return exit;
      }
      const delayMs = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** (crashes - 1));
      say(
        `${name} exited unexpectedly (${describeExit(exit)}); restarting it in ${delayMs / 1000} s (crash ${crashes} of ${policy.maxCrashes} allowed within ${windowSeconds} s)`,
      );
      await new Promise<void>((resolve) => {
        wake = resolve;
        backoffTimer = setTimeout(resolve, delayMs);
      });
      if (isStopped) return exit;
      current = options.spawn();
      say(`restarted ${name} (pid ${current.pid})`);
    }
  };
  const exited = watch();

  const end = () => {
    isStopped = true;
    clearTimeout(backoffTimer);
    wake?.();
  };

  return {
    name,
    get pid() {
      return current.pid;
    },
    exited,
    gaveUp,
    async stop(graceMs) {
      end();
      const exit = await current.stop(graceMs);
      await exited;
      return exit;
    },
    kill() {
      end();
      current.kill();
    },
  };
}
