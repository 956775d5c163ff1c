// Minimal typings for the two local AWS servers we run in-process; neither ships its own.
declare module 'kinesalite' {
  import type { Server } from 'node:http';
  type TKinesaliteOptions = {
    /** LevelDB folder; in memory when absent. */
    path?: string;
    createStreamMs?: number;
    deleteStreamMs?: number;
    updateStreamMs?: number;
    shardLimit?: number;
  };
  export default function kinesalite(options?: TKinesaliteOptions): Server;
}

declare module 's3rver' {
  import type { AddressInfo } from 'node:net';
  type TS3rverOptions = {
    address?: string;
    port?: number;
    silent?: boolean;
    directory?: string;
    resetOnClose?: boolean;
    configureBuckets?: { name: string; configs?: string[] }[];
  };
  export default class S3rver {
    constructor(options?: TS3rverOptions);
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
  }
}
