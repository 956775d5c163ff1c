import { spawn } from 'node:child_process';
import type { TLogger } from './log';

export type TExit = { code: number | null; signal: NodeJS.Signals | null };

export type TChildProcess = {
  name: string;
  pid: number;
  exited: Promise<TExit>;
  /** SIGTERM to the whole process group, SIGKILL after graceMs; resolves when it has exited. */
  stop: (graceMs?: number) => Promise<TExit>;
  /** SIGKILL to the whole process group, now. */
  kill: () => void;
};

export type TSpawnOptions = {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  logger: TLogger;
};

/**
 * Starts a child in its own process group with its output prefixed by name. Its own group means a
 * terminal Ctrl-C reaches only the supervisor, which then stops children first and servers
 * last; signalling the group also reaches grandchildren (npm -> node -> workers).
 */
export function spawnPrefixed(options: TSpawnOptions): TChildProcess {
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout
    .setEncoding('utf8')
    .on('data', (chunk: string) => options.logger.write(options.name, chunk));
  child.stderr
    .setEncoding('utf8')
    .on('data', (chunk: string) => options.logger.write(options.name, chunk, true));
  const exited = new Promise<TExit>((resolve) => {
    child.once('error', (error) => {
      options.logger.line(
        options.name,
        `could not start ${options.command}: ${error.message}`,
        true,
      );
      resolve({ code: 127, signal: null });
    });
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  let isDone = false;
  void exited.then(() => (isDone = true));

  const signalGroup = (signal: NodeJS.Signals) => {
    if (isDone || child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // the group is already gone
    }
  };

  const stop = async (graceMs = 10_000) => {
    signalGroup('SIGTERM');
    const timer = setTimeout(() => {
      options.logger.line(
        options.name,
        `did not stop within ${graceMs / 1000} s; killing it`,
        true,
      );
      signalGroup('SIGKILL');
    }, graceMs);
    const exit = await exited;
    clearTimeout(timer);
    // Anything the leader left behind in its group goes too.
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // nothing left
    }
    return exit;
  };

  return {
    name: options.name,
    pid: child.pid ?? -1,
    exited,
    stop,
    kill: () => signalGroup('SIGKILL'),
  };
}

/** `npm run --silent <script>` in a workspace folder (npm's banner and error noise stay out of the logs). */
export function spawnNpmScript(
  options: Omit<TSpawnOptions, 'command' | 'args'> & { script: string },
): TChildProcess {
  return spawnPrefixed({
    ...options,
    command: process.platform === 'win32' ? 'npm.cmd' : 'npm',
    args: ['run', '--silent', options.script],
  });
}
