// The training-job lifecycle against a real Postgres: what the launcher, the train CLI and the
// reaper write, and what the console reads back.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useMigratedTestDatabase } from '../testing';
import {
  claimTrainingJob,
  completeTrainingJob,
  createTrainingJob,
  failTrainingJob,
  getTrainingJob,
  getTrainingJobRecord,
  listTrainingJobs,
  reapStaleTrainingJobs,
  recordTrainingLaunch,
  recordTrainingProgress,
  TRAINING_LOG_TAIL_CHARS,
  type TNewTrainingJob,
} from './training-jobs';

const suite = useMigratedTestDatabase();

function newJob(overrides: Partial<TNewTrainingJob> = {}): TNewTrainingJob {
  return {
    id: randomUUID(),
    modelName: 'ride_duration_prediction_model',
    recipe: 'zones',
    params: { useTime: false, lambdaPair: 3 },
    trainMonths: ['green 2021-01'],
    trainUris: ['/store/trip-data/green_tripdata_2021-01.parquet'],
    validationMonth: 'green 2021-03',
    validationUri: '/store/trip-data/green_tripdata_2021-03.parquet',
    requestedBy: 'analyst@example.com',
    ...overrides,
  };
}

describe('training jobs (Postgres)', () => {
  it('runs the whole lifecycle: queued, claimed, progress with log lines, succeeded with the card', async () => {
    const job = await createTrainingJob(suite.pool, newJob());
    expect(job).toMatchObject({ status: 'queued', progress: 0, logTail: '', startedAt: null });
    await recordTrainingLaunch(suite.pool, job.id, 'local pid 4242');

    const claimed = await claimTrainingJob(suite.pool, job.id);
    expect(claimed.status).toBe('running');
    expect(claimed.startedAt).toBeInstanceOf(Date);
    expect(claimed.heartbeatAt).toBeInstanceOf(Date);

    expect(
      await recordTrainingProgress(suite.pool, job.id, {
        phase: 'reading months',
        progress: 0.2,
        rowsRead: 50_000,
        logLines: ['reading green 2021-01', '50,000 rows read'],
      }),
    ).toBe(true);
    // A bare heartbeat keeps the phase and figures.
    expect(await recordTrainingProgress(suite.pool, job.id)).toBe(true);
    expect(
      await recordTrainingProgress(suite.pool, job.id, { phase: 'fitting', progress: 7 }),
    ).toBe(true);
    const running = await getTrainingJob(suite.db, job.id);
    expect(running).toMatchObject({
      status: 'running',
      phase: 'fitting',
      progress: 1, // clamped to 0..1
      rowsRead: 50_000,
      logTail: 'reading green 2021-01\n50,000 rows read\n',
      launchedAs: 'local pid 4242',
      params: { useTime: false, lambdaPair: 3 },
    });

    const card = { version: 'v-1', metrics: { validation: { rmse: 5.6, mae: 3.9, rows: 10 } } };
    await completeTrainingJob(suite.pool, job.id, {
      modelVersion: 'v-1',
      card,
      logLines: ['registered v-1'],
    });
    const done = await getTrainingJob(suite.db, job.id);
    expect(done).toMatchObject({
      status: 'succeeded',
      progress: 1,
      modelVersion: 'v-1',
      card,
      error: null,
    });
    expect(done?.logTail.endsWith('registered v-1\n')).toBe(true);
    expect(done?.finishedAt).toBeInstanceOf(Date);

    // Finished means finished: no more progress, no failing it afterwards, no second claim.
    expect(await recordTrainingProgress(suite.pool, job.id, { progress: 0.1 })).toBe(false);
    await failTrainingJob(suite.pool, job.id, 'late failure');
    expect((await getTrainingJobRecord(suite.pool, job.id))?.status).toBe('succeeded');
    await expect(claimTrainingJob(suite.pool, job.id)).rejects.toThrow(/is succeeded, not queued/);
  });

  it('a job can be claimed once: a second process for the same job is refused', async () => {
    const job = await createTrainingJob(suite.pool, newJob());
    const results = await Promise.allSettled([
      claimTrainingJob(suite.pool, job.id),
      claimTrainingJob(suite.pool, job.id),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    await expect(claimTrainingJob(suite.pool, randomUUID())).rejects.toThrow(/no such job/);
  });

  it('keeps only the tail of a long log', async () => {
    const job = await createTrainingJob(suite.pool, newJob());
    await claimTrainingJob(suite.pool, job.id);
    const line = 'x'.repeat(1000);
    for (let i = 0; i < 80; i++)
      await recordTrainingProgress(suite.pool, job.id, { logLines: [`${i} ${line}`] });
    const { logTail } = (await getTrainingJobRecord(suite.pool, job.id))!;
    expect(logTail.length).toBe(TRAINING_LOG_TAIL_CHARS);
    expect(logTail.endsWith(`79 ${line}\n`)).toBe(true);
    expect(logTail).not.toContain(`\n0 ${line}`);
  });

  it('fails a job with its error and the last log lines', async () => {
    const job = await createTrainingJob(suite.pool, newJob());
    await claimTrainingJob(suite.pool, job.id);
    await failTrainingJob(suite.pool, job.id, 'no usable trips in green 2021-01', {
      logLines: ['train: no usable trips'],
    });
    expect(await getTrainingJob(suite.db, job.id)).toMatchObject({
      status: 'failed',
      error: 'no usable trips in green 2021-01',
      logTail: 'train: no usable trips\n',
    });
  });

  it('reaps a running job whose heartbeat is stale and a queued job nobody claimed, naming why', async () => {
    const live = await createTrainingJob(suite.pool, newJob());
    await claimTrainingJob(suite.pool, live.id);
    const dead = await createTrainingJob(suite.pool, newJob());
    await claimTrainingJob(suite.pool, dead.id);
    await recordTrainingProgress(suite.pool, dead.id, { phase: 'fitting' });
    await suite.pool.query(
      `UPDATE training_jobs SET heartbeat_at = now() - interval '5 minutes' WHERE id = $1`,
      [dead.id],
    );
    const orphan = await createTrainingJob(suite.pool, newJob());
    await suite.pool.query(
      `UPDATE training_jobs SET created_at = now() - interval '1 hour' WHERE id = $1`,
      [orphan.id],
    );
    const fresh = await createTrainingJob(suite.pool, newJob());

    const reaped = await reapStaleTrainingJobs(suite.pool, {
      staleAfterMs: 60_000,
      queuedTimeoutMs: 10 * 60_000,
    });
    expect(reaped.sort()).toEqual([dead.id, orphan.id].sort());
    const deadRow = await getTrainingJobRecord(suite.pool, dead.id);
    expect(deadRow?.status).toBe('failed');
    expect(deadRow?.error).toMatch(
      /^heartbeat stopped: no report from the training process since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ during fitting/,
    );
    expect((await getTrainingJobRecord(suite.pool, orphan.id))?.error).toMatch(
      /^never started: queued since/,
    );
    expect((await getTrainingJobRecord(suite.pool, live.id))?.status).toBe('running');
    expect((await getTrainingJobRecord(suite.pool, fresh.id))?.status).toBe('queued');
    // The reaped process, if it comes back, can no longer report or finish.
    expect(await recordTrainingProgress(suite.pool, dead.id, { progress: 0.9 })).toBe(false);
    await completeTrainingJob(suite.pool, dead.id, { modelVersion: 'late', card: {} });
    expect((await getTrainingJobRecord(suite.pool, dead.id))?.status).toBe('failed');
  });

  it('lists newest first, keyset-paged', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const job = await createTrainingJob(suite.pool, newJob({ requestedBy: `pager-${i}` }));
      await suite.pool.query(
        `UPDATE training_jobs SET created_at = now() + make_interval(days => $2) WHERE id = $1`,
        [job.id, 100 + i],
      );
      ids.push(job.id);
    }
    const first = await listTrainingJobs(suite.db, { limit: 2 });
    expect(first.items.map((j) => j.id)).toEqual([ids[2], ids[1]]);
    expect(first.nextCursor).toBe(ids[1]);
    const second = await listTrainingJobs(suite.db, { limit: 2, cursor: first.nextCursor });
    expect(second.items[0]?.id).toBe(ids[0]);
    expect(first.items[0]).not.toHaveProperty('logTail');
  });
});
