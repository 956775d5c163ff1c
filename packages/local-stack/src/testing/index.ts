/**
 * The test harness every package uses: real Postgres, S3 and Kinesis APIs from the servers the
 * vitest globalSetup (`@tripcast/local-stack/vitest-global-setup`) started for this run.
 * Each helper makes something new and uniquely named, so suites never see each other's data.
 */
import { randomBytes } from 'node:crypto';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import { inject } from 'vitest';
import { createLocalKinesisClient, createLocalS3Client } from '../aws';
import type { TLocalAws } from '../aws';
import { ensureStreams } from '../streams';
import { TEST_STACK_ENV } from './types';
import type { TTestStackInfo } from './types';

export type { TLocalAws } from '../aws';
export type { TTestStackInfo } from './types';

export type TTestDatabase = {
  /** Connection URL of the new database. */
  url: string;
  name: string;
  /** Drops the database, closing any connections still open to it. */
  drop: () => Promise<void>;
};

function readStackInfo(): TTestStackInfo {
  let info: TTestStackInfo | undefined;
  try {
    info = inject('tripcastTestStack');
  } catch {
    // Not inside a vitest worker: fall back to the env the global setup exported.
  }
  const fromEnv = process.env[TEST_STACK_ENV];
  if (!info && fromEnv) info = JSON.parse(fromEnv) as TTestStackInfo;
  if (!info) {
    throw new Error(
      "The local-stack test harness is not running: add `globalSetup: ['@tripcast/local-stack/vitest-global-setup']` to this package's vitest.config.ts (see packages/local-stack/README.md).",
    );
  }
  return info;
}

function uniqueName(prefix: string): string {
  return `${prefix}${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
}

/** The shared test server: its admin URL (database `postgres`) and a URL builder for any database. */
export function getTestPostgres(): TTestStackInfo['postgres'] & {
  urlFor: (database: string) => string;
} {
  const { postgres } = readStackInfo();
  return {
    ...postgres,
    urlFor: (database) => {
      const url = new URL(postgres.adminUrl);
      url.pathname = `/${encodeURIComponent(database)}`;
      return url.toString();
    },
  };
}

async function withAdminClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: readStackInfo().postgres.adminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * A fresh, empty database on the test server (or a copy of `template`, which must have no
 * open connections while it is copied). Drop it in afterAll; the whole server is thrown away
 * at the end of the run anyway.
 */
export async function createTestDatabase(
  options: { name?: string; template?: string } = {},
): Promise<TTestDatabase> {
  const name = options.name ?? uniqueName('test_');
  await withAdminClient(async (client) => {
    const sql = `CREATE DATABASE ${client.escapeIdentifier(name)}${options.template ? ` TEMPLATE ${client.escapeIdentifier(options.template)}` : ''}`;
    for (let attempt = 1; ; attempt++) {
      try {
        await client.query(sql);
        return;
      } catch (error) {
        // 55006: the template is briefly in use (another worker is copying or connected to it).
        if ((error as { code?: string }).code !== '55006' || attempt >= 50) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  });
  return {
    name,
    url: getTestPostgres().urlFor(name),
    drop: () =>
      withAdminClient(
        async (client) =>
          void (await client.query(
            `DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`,
          )),
      ),
  };
}

/** Endpoints, region and credentials of the local S3 (s3rver) and Kinesis (kinesalite). */
export function getTestAws(): TLocalAws {
  return readStackInfo().aws;
}

/** An S3 client for the local S3 server (path-style addressing). */
export function createS3Client(): S3Client {
  return createLocalS3Client(getTestAws());
}

/** A Kinesis client for the local Kinesis server (HTTP/1.1 handler). */
export function createKinesisClient(): KinesisClient {
  return createLocalKinesisClient(getTestAws());
}

/** Creates an empty bucket (a unique name unless given) and returns its name. */
export async function createTestBucket(name?: string): Promise<string> {
  const bucket = name ?? uniqueName('test-');
  const client = createS3Client();
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } finally {
    client.destroy();
  }
  return bucket;
}

/** Creates a stream (a unique name unless given), waits until it is ACTIVE and returns its name. */
export async function createTestStream(options: {
  name?: string;
  shardCount: number;
}): Promise<string> {
  const name = options.name ?? uniqueName('test-');
  const aws = getTestAws();
  await ensureStreams({
    endpoint: aws.kinesis.endpoint,
    region: aws.region,
    streams: [{ name, shardCount: options.shardCount }],
  });
  return name;
}

export { MOTO_SERVER_PATH, startMotoServer, type TMotoServer } from './moto-server';
