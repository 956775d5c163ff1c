import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { createKinesisClient, createTestStream, getTestAws } from '@tripcast/local-stack/testing';
import { afterAll, describe, expect, it } from 'vitest';

import { readAllRecords } from './testing/fixtures';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('./cli.ts', import.meta.url));
const cli = (args: string[], env: Record<string, string> = {}) =>
  run(process.execPath, ['--import', 'tsx', CLI, ...args], { env: { PATH: process.env.PATH, ...env } });

describe('CLI', () => {
  const kinesis = createKinesisClient();
  afterAll(() => kinesis.destroy());

  it('--help lists consume and produce; produce --help lists its options', async () => {
    const { stdout } = await cli(['--help']);
    expect(stdout).toMatch(/consume\s/);
    expect(stdout).toMatch(/produce \[options\]/);
    const produce = await cli(['produce', '--help']);
    for (const option of ['--rate', '--count', '--poison-share', '--stream']) expect(produce.stdout).toContain(option);
  });

  it('consume fails fast naming a missing DATABASE_URL', async () => {
    await expect(cli(['consume'])).rejects.toMatchObject({ stderr: expect.stringContaining('DATABASE_URL') as string });
  });

  it('produce puts course ride events (and the requested share of broken ones) on the stream', async () => {
    const stream = await createTestStream({ shardCount: 2 });
    const aws = getTestAws();
    await cli(['produce', '--count', '40', '--rate', '2000', '--poison-share', '0.25', '--stream', stream, '--first-ride-id', '500'], {
      KINESIS_ENDPOINT_URL: aws.kinesis.endpoint,
      AWS_REGION: aws.region,
      AWS_ACCESS_KEY_ID: aws.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: aws.credentials.secretAccessKey,
      LOG_LEVEL: 'silent',
    });
    const records = (await readAllRecords(kinesis, stream)) as { ride: { PULocationID: number }; ride_id: number }[];
    expect(records).toHaveLength(40);
    expect(records.filter((r) => r.ride.PULocationID === 999)).toHaveLength(10);
    expect(new Set(records.map((r) => r.ride_id)).size).toBe(40);
    expect(Math.min(...records.map((r) => r.ride_id))).toBe(500);
    expect(Object.keys(records[0]!.ride).sort()).toEqual(['DOLocationID', 'PULocationID', 'trip_distance']);
  });
});

describe('CLI produce --file (real TLC month)', () => {
  // Shared data lives outside the repo: TRIPCAST_SHARED_DATA, else <repo>/../shared/data.
  const sharedDir = process.env.TRIPCAST_SHARED_DATA ?? fileURLToPath(new URL('../../../../shared/data', import.meta.url));
  const file = `${sharedDir}/green_tripdata_2021-01.parquet`;
  const hasFile = existsSync(file);

  it.skipIf(!hasFile)(`sends rows of ${file} as course events, in file order`, async () => {
    const kinesis = createKinesisClient();
    const stream = await createTestStream({ shardCount: 1 });
    const aws = getTestAws();
    await cli(['produce', '--file', file, '--count', '25', '--rate', '5000', '--stream', stream], {
      KINESIS_ENDPOINT_URL: aws.kinesis.endpoint,
      AWS_REGION: aws.region,
      AWS_ACCESS_KEY_ID: aws.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: aws.credentials.secretAccessKey,
      LOG_LEVEL: 'silent',
    });
    const records = (await readAllRecords(kinesis, stream)) as { ride: Record<string, number | null>; ride_id: number }[];
    kinesis.destroy();
    expect(records.map((r) => r.ride_id)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    // The first trip of green 2021-01 (TLC file): PU 43 -> DO 151, 1.01 miles.
    expect(records[0]!.ride).toEqual({ PULocationID: 43, DOLocationID: 151, trip_distance: 1.01 });
  });
  if (!hasFile) it.skip(`skipped: ${file} not found (set TRIPCAST_SHARED_DATA)`, () => undefined);
});
