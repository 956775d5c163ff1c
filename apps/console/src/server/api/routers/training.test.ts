// The training router over a real database: bad input is a 400 naming the nested field, an
// absent month a 400 naming the month (nothing created), dead jobs are reaped before they are
// shown, and server paths stay with admins. The launch itself (a real train child process) is
// tested in apps/scorer's train-launcher.test.ts and end to end in e2e/console.e2e.ts.
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { TRPCError } from '@trpc/server';
import { createTrainingJob, claimTrainingJob } from '@tripcast/db/queries/training-jobs';
import { createPgPool } from '@tripcast/db/client';
import { generateTripMonth } from '@tripcast/model/trips';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestConsole, TEST_ADMIN, type TTestConsole } from '../../testing/context';
import { createCaller } from '../root';
import { createContextInner } from '../trpc';

const ANALYST = {
  ...TEST_ADMIN,
  id: 'u-analyst',
  email: 'analyst@example.com',
  role: 'analyst' as const,
};

describe('training router', () => {
  let admin: TTestConsole;
  let analyst: { caller: ReturnType<typeof createCaller> };
  let store: string;
  let pool: ReturnType<typeof createPgPool>;
  beforeAll(async () => {
    // The launcher reads the scorer's env once: an empty store of our own.
    store = await mkdtemp(path.join(os.tmpdir(), 'tripcast-training-router-'));
    await mkdir(path.join(store, 'trip-data'));
    process.env.OBJECT_STORE_URI = store;
    admin = await createTestConsole({ storeUri: store });
    pool = createPgPool(admin.databaseUrl, { max: 2 });
    // The analyst's caller on the same database.
    analyst = {
      caller: createCaller(
        createContextInner({
          db: admin.db,
          getPool: () => pool,
          modelName: 'ride_duration_prediction_model',
          storeUri: store,
          storeOptions: {},
          user: ANALYST,
          actor: ANALYST.email,
          getAuth: () => {
            throw new Error('unused');
          },
          getModelWatcher: () => Promise.reject(new Error('unused')),
          getZoneTable: () => Promise.resolve(null),
        }),
      ),
    };
  });
  afterAll(async () => {
    await pool?.end();
    await admin?.close();
    await rm(store, { recursive: true, force: true });
  });

  const month = (m: number) => ({ taxiType: 'green' as const, year: 2021, month: m });

  async function refusal(call: Promise<unknown>) {
    const error = await call.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TRPCError);
    return error as TRPCError & { code: string };
  }

  it('names a bad hyper-parameter, an unknown one and a validation month among the training months', async () => {
    const formatted = async (input: unknown) => {
      try {
        await analyst.caller.training.start(input as never);
      } catch (error) {
        // What the browser gets: the error formatter's issues with their full paths.
        const e = error as TRPCError;
        expect(e.code).toBe('BAD_REQUEST');
        return e;
      }
      throw new Error('expected a refusal');
    };
    const negative = await formatted({
      trainMonths: [month(1)],
      recipe: { recipe: 'zones', params: { lambdaPair: -1 } },
    });
    expect(negative.message).toContain('lambdaPair');
    const unknown = await formatted({
      trainMonths: [month(1)],
      recipe: { recipe: 'zones', params: { lambda: 2 } },
    });
    expect(unknown.message).toContain('lambda');
    const knots = await formatted({
      trainMonths: [month(1)],
      recipe: { recipe: 'zones', params: { knots: [5, 2] } },
    });
    expect(knots.message).toContain('knots must increase');
    const same = await formatted({
      trainMonths: [month(1)],
      validationMonth: month(1),
      recipe: { recipe: 'course', params: {} },
    });
    expect(same.message).toContain('validationMonth');
    const solver = await formatted({
      trainMonths: [month(1)],
      recipe: { recipe: 'course', params: { solver: 'magic' } },
    });
    expect(solver.message).toContain('solver');
  });

  it('refuses a month the store does not have, naming it, and creates nothing', async () => {
    const error = await refusal(
      analyst.caller.training.start({
        trainMonths: [month(1)],
        recipe: { recipe: 'zones', params: {} },
      }),
    );
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toMatch(
      /^no trip data for green 2021-01 in the store: put green_tripdata_2021-01\.parquet/,
    );
    // Below admin the store's folder is not shown.
    expect(error.message).not.toContain(store);
    expect((await analyst.caller.training.list()).items).toEqual([]);
  });

  it('fails a job whose heartbeat went stale before showing it, and hides server paths below admin', async () => {
    const job = await createTrainingJob(pool, {
      id: 'stale-job',
      modelName: 'ride_duration_prediction_model',
      recipe: 'zones',
      params: {},
      trainMonths: ['green 2021-01'],
      trainUris: [path.join(store, 'trip-data', 'green_tripdata_2021-01.parquet')],
      validationMonth: null,
      validationUri: null,
      requestedBy: 'analyst@example.com',
    });
    await claimTrainingJob(pool, job.id);
    await pool.query(
      `UPDATE training_jobs SET heartbeat_at = now() - interval '1 hour', log_tail = $2 WHERE id = $1`,
      [job.id, `reading ${path.join(store, 'trip-data', 'green_tripdata_2021-01.parquet')}\n`],
    );
    const seen = await analyst.caller.training.get({ id: job.id });
    expect(seen.status).toBe('failed');
    expect(seen.error).toMatch(/^heartbeat stopped: no report from the training process since/);
    expect(seen.trainUris).toEqual(['trip-data/green_tripdata_2021-01.parquet']);
    expect(seen.logTail).toBe('reading trip-data/green_tripdata_2021-01.parquet\n');
    const asAdmin = await admin.caller.training.get({ id: job.id });
    expect(asAdmin.trainUris[0]).toBe(
      path.join(store, 'trip-data', 'green_tripdata_2021-01.parquet'),
    );
    const listed = await analyst.caller.training.list();
    expect(listed.items.map((j) => [j.id, j.status])).toEqual([['stale-job', 'failed']]);
    expect((await refusal(analyst.caller.training.get({ id: 'nope' }))).code).toBe('NOT_FOUND');
  });

  it('takes an uploaded TLC month into the store and refuses a file it cannot use, naming why', async () => {
    const form = (name: string, content: BlobPart) => {
      const data = new FormData();
      data.set('month', new File([content], name));
      return data;
    };
    const missing = await refusal(analyst.caller.training.uploadMonth(new FormData()));
    expect(missing.code).toBe('BAD_REQUEST');
    const badName = await refusal(analyst.caller.training.uploadMonth(form('trips.parquet', 'x')));
    expect(badName.message).toMatch(/^trips\.parquet: name the file as the TLC does/);
    const badContent = await refusal(
      analyst.caller.training.uploadMonth(form('green_tripdata_2021-05.parquet', 'not parquet')),
    );
    expect(badContent.message).toMatch(/is not a readable TLC month/);
    const generated = await generateTripMonth({
      taxiType: 'green',
      year: 2021,
      month: 5,
      rows: 300,
      seed: 2,
      outPath: path.join(store, 'scratch'),
    });
    const added = await analyst.caller.training.uploadMonth(
      form('green_tripdata_2021-05.parquet', new Uint8Array(await readFile(generated.path))),
    );
    expect(added).toEqual({ taxiType: 'green', year: 2021, month: 5 });
    expect((await analyst.caller.runs.months()).months).toContainEqual(added);
  });

  it('offers the recipes with their defaults', async () => {
    const { recipes, solvers } = await analyst.caller.training.recipes();
    expect(recipes.map((r) => r.recipe)).toEqual(['zones', 'course']);
    expect(recipes[0]!.defaults).toMatchObject({ useTime: true, lambdaPair: 3 });
    expect(solvers).toEqual(['sklearn', 'exact']);
  });
});
