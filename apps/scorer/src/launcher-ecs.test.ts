// The launcher's AWS mode. No ECS API is exercised here: moto 5.2's RunTask crashes on Fargate
// (creating the task ENI: 'NetworkInterface' object has no attribute 'private_dns_name') and on
// EC2 launches without container instances, so only the paths before the call are tested: the
// request validation, the container command, and a misconfiguration failing the run record.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { ECSClient } from '@aws-sdk/client-ecs';
import { useMigratedTestDatabase } from '@tripcast/db/testing';
import { describe, expect, it } from 'vitest';

import { parseScorerEnv } from './env';
import { buildRunArgs, launchRun, ZLaunchRequest } from './launcher';
import { getRunRecord } from '@tripcast/db/queries/runs';

describe('launchRun, ECS mode', () => {
  const suite = useMigratedTestDatabase();

  it('gives the container the same command line a local run gets', () => {
    const request = ZLaunchRequest.parse({ taxiType: 'yellow', year: 2024, month: 1, model: 'm@v3', input: 's3://b/{year:04d}.parquet' });
    expect(buildRunArgs({ ...request, runId: 'r1' })).toEqual([
      'run', '--run-id', 'r1', '--taxi-type', 'yellow', '--year', '2024', '--month', '1', '--trigger', 'manual',
      '--input', 's3://b/{year:04d}.parquet', '--model', 'm@v3',
    ]);
    expect(() => ZLaunchRequest.parse({ taxiType: 'blue', year: 2024, month: 1 })).toThrow(/taxiType/);
  });

  it('fails the record with the reason when ECS is not configured', async () => {
    // The month must exist for the launcher to get as far as ECS (an absent one is refused first).
    const store = await mkdtemp(path.join(os.tmpdir(), 'tripcast-ecs-'));
    await mkdir(path.join(store, 'trip-data'));
    await writeFile(path.join(store, 'trip-data', 'green_tripdata_2024-02.parquet'), '');
    const env = parseScorerEnv({ DATABASE_URL: suite.url, SCORER_LAUNCHER: 'ecs', OBJECT_STORE_URI: store });
    const ecs = new ECSClient({ region: 'us-east-1' });
    await expect(launchRun({ taxiType: 'green', year: 2024, month: 2, runId: 'ecs-misconfigured' }, { env, pool: suite.pool, ecs })).rejects.toThrow(
      /needs ECS_CLUSTER and ECS_TASK_DEFINITION/,
    );
    const record = (await getRunRecord(suite.pool, 'ecs-misconfigured'))!;
    expect(record.status).toBe('failed');
    expect(record.error).toMatch(/could not start the scorer: SCORER_LAUNCHER=ecs needs/);
    ecs.destroy();
    await rm(store, { recursive: true, force: true });
  });
});
