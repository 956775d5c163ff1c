/**
 * Types shared by the global setup (main process) and the helpers (workers). Kept apart from
 * the servers' code so a package type-checking its tests never loads kinesalite or s3rver.
 */
import type { TLocalAws } from '../aws';

/** What test workers need to reach the servers of one test run (serialisable). */
export type TTestStackInfo = {
  postgres: { host: string; port: number; user: string; password: string; adminUrl: string };
  aws: TLocalAws;
  /** Milliseconds, for the curious: how long bringing the stack up took. */
  timings: { postgresInitMs: number; postgresStartMs: number; totalMs: number };
};

/** The env variable that carries TTestStackInfo (JSON) to workers and to processes tests spawn. */
export const TEST_STACK_ENV = 'TRIPCAST_TEST_STACK';

declare module 'vitest' {
  // Module augmentation is the one place an interface is required.
  // eslint-disable-next-line @typescript-eslint/consistent-type-definitions
  export interface ProvidedContext {
    tripcastTestStack: TTestStackInfo;
  }
}
