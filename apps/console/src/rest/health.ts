import type { TChallengerStatus } from './challengers';
import type { THistoryWriterStats } from './history-writer';

export type TCheckStatus = 'ok' | 'error' | 'not_configured';

export type TModelStatus = { name: string; version: string | null; loaded: boolean; error?: string };
export type TStreamStatus = { name: string; endpoint: string | null; streamStatus: string };

export type THealthDeps = {
  /** Resolves when the database answers a trivial query. */
  pingDatabase(): Promise<void>;
  getModelStatus(): TModelStatus;
  /** Describes the input stream; absent when no stream is configured for this deployment. */
  describeStream?: () => Promise<TStreamStatus>;
  getHistoryStats(): THistoryWriterStats;
  /** Challengers scoring beside production; a failing one is reported, never makes the API down. */
  getChallengerStatus?(): TChallengerStatus[];
  timeoutMs?: number;
};

export type THealthReport = {
  status: 'ok' | 'degraded' | 'down';
  checks: {
    database: { status: TCheckStatus; latencyMs?: number; error?: string };
    model: { status: TCheckStatus } & TModelStatus;
    stream: { status: TCheckStatus; error?: string } & Partial<TStreamStatus>;
  };
  history: THistoryWriterStats;
  challengers: TChallengerStatus[];
};

function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Database and model are what this process needs to serve: either failing makes the report
 * `down` (HTTP 503) so a load balancer takes the instance out. The stream is another service's
 * input; a failing stream makes the report `degraded` but still 200, because restarting or
 * unrouting the console would not fix Kinesis and would take the console away too.
 */
export async function checkHealth(deps: THealthDeps): Promise<THealthReport> {
  const timeoutMs = deps.timeoutMs ?? 2_000;
  const startedAt = performance.now();
  const [database, stream] = await Promise.all([
    withTimeout(deps.pingDatabase(), timeoutMs, 'database').then(
      () => ({ status: 'ok' as const, latencyMs: Math.round((performance.now() - startedAt) * 10) / 10 }),
      (error: unknown) => ({ status: 'error' as const, error: describeError(error) }),
    ),
    deps.describeStream
      ? withTimeout(deps.describeStream(), timeoutMs, 'stream').then(
          (s) => ({ status: s.streamStatus === 'ACTIVE' || s.streamStatus === 'UPDATING' ? ('ok' as const) : ('error' as const), ...s }),
          (error: unknown) => ({ status: 'error' as const, error: describeError(error) }),
        )
      : Promise.resolve({ status: 'not_configured' as const }),
  ]);
  const modelStatus = deps.getModelStatus();
  const model = { status: modelStatus.loaded ? ('ok' as const) : ('error' as const), ...modelStatus };
  const status = database.status !== 'ok' || model.status !== 'ok' ? 'down' : stream.status === 'error' ? 'degraded' : 'ok';
  return { status, checks: { database, model, stream }, history: deps.getHistoryStats(), challengers: deps.getChallengerStatus?.() ?? [] };
}
