// The read interface for other applications (migration 20261204135530_api_read_views): the views
// in schema tripcast_api, read as a login role that was only granted tripcast_reader, the way a
// downstream team connects. Real Postgres 17 from the local-stack harness, real password login.
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replaceRunPredictions } from './batch-predictions';
import { createPgPool } from './client';
import { insertHistoryBatch } from './queries/history';
import { createMigratedTestDatabase } from './testing';
import type { TTestDatabase } from './testing';

/**
 * The promise: each view's columns, in order, with their types. A change here is a breaking
 * change for every reader: add a `<view>_v2` instead and leave these as they are.
 */
const PROMISED_COLUMNS: Record<string, string[]> = {
  batch_runs: [
    'run_id text',
    'run_key integer',
    'taxi_type text',
    'year integer',
    'month integer',
    'status text',
    'trigger text',
    'model_name text',
    'model_version text',
    'rows_read integer',
    'rows_scored integer',
    'rows_rejected integer',
    'input_uri text',
    'output_uri text',
    'rejects_uri text',
    'error text',
    'created_at timestamp with time zone',
    'started_at timestamp with time zone',
    'finished_at timestamp with time zone',
  ],
  batch_predictions: [
    'run_id text',
    'run_key integer',
    'taxi_type text',
    'year integer',
    'month integer',
    'row_index integer',
    'ride_id text',
    'pickup_datetime timestamp without time zone',
    'pu_location_id smallint',
    'do_location_id smallint',
    'actual_duration real',
    'predicted_duration real',
    'diff real',
    'model_version text',
  ],
  prediction_history: [
    'id bigint',
    'source text',
    'status text',
    'ride_id text',
    'pu_location_id smallint',
    'do_location_id smallint',
    'trip_distance real',
    'predicted_duration real',
    'model_name text',
    'model_version text',
    'reason text',
    'created_at timestamp with time zone',
  ],
};

const INSUFFICIENT_PRIVILEGE = '42501';

let database: TTestDatabase;
let owner: pg.Pool;
let reader: pg.Pool;
let outsider: pg.Pool;
const readerRole = `reporting_app_${randomBytes(4).toString('hex')}`;
const outsiderRole = `not_a_reader_${randomBytes(4).toString('hex')}`;

function urlAs(url: string, user: string, password: string): string {
  const parsed = new URL(url);
  parsed.username = user;
  parsed.password = password;
  return parsed.toString();
}

async function sqlState(run: Promise<unknown>): Promise<string | undefined> {
  try {
    await run;
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
}

async function createFinishedRun(options: {
  id: string;
  status: 'succeeded' | 'running' | 'failed';
  rows: number;
}): Promise<number> {
  const { rows } = await owner.query<{ key: number }>(
    `INSERT INTO batch_runs (id, taxi_type, year, month, input_uri, output_uri, trigger, status, model_name, model_version,
                             rows_read, rows_scored, rows_rejected, started_at, finished_at)
     VALUES ($1, 'green', 2021, 1, 'trip-data/green_tripdata_2021-01.parquet',
             'predictions/taxi_type=green/year=2021/month=01/' || $1 || '.parquet', 'cli', $2::"RunStatus",
             'ride_duration_prediction_model', 'v7', $3::int + 1, $3::int, 1, now(), CASE WHEN $2::text = 'running' THEN NULL ELSE now() END)
     RETURNING key`,
    [options.id, options.status, options.rows],
  );
  const runKey = rows[0]!.key;
  const n = options.rows;
  await replaceRunPredictions({
    pool: owner,
    runKey,
    rows: [
      {
        rowIndex: Int32Array.from({ length: n }, (_, i) => i),
        rideId: Array.from({ length: n }, (_, i) => `2021/01_${i}`),
        pickupMs: Float64Array.from({ length: n }, (_, i) => Date.UTC(2021, 0, 1, 8, i)),
        pu: Int16Array.from({ length: n }, () => 130),
        do: Int16Array.from({ length: n }, () => 205),
        actual: Float32Array.from({ length: n }, (_, i) => (i === 0 ? Number.NaN : 10 + i)),
        predicted: Float32Array.from({ length: n }, () => 12),
      },
    ],
  });
  return runKey;
}

beforeAll(async () => {
  database = await createMigratedTestDatabase();
  owner = createPgPool(database.url, { max: 2 });
  // What the operator does for a downstream team (README, "Reading predictions from another application").
  await owner.query(`CREATE ROLE ${readerRole} LOGIN PASSWORD 'reader-secret'`);
  await owner.query(`GRANT tripcast_reader TO ${readerRole}`);
  await owner.query(`CREATE ROLE ${outsiderRole} LOGIN PASSWORD 'outsider-secret'`);
  reader = createPgPool(urlAs(database.url, readerRole, 'reader-secret'), { max: 1 });
  outsider = createPgPool(urlAs(database.url, outsiderRole, 'outsider-secret'), { max: 1 });

  await createFinishedRun({ id: 'green-2021-01-done', status: 'succeeded', rows: 3 });
  // A rerun in progress and a failed run: their rows exist in batch_predictions but are not a
  // finished month, so the view must not show them.
  await createFinishedRun({ id: 'green-2021-01-rerun', status: 'running', rows: 2 });
  await createFinishedRun({ id: 'green-2021-01-failed', status: 'failed', rows: 2 });
  await insertHistoryBatch(owner, [
    {
      source: 'online',
      idempotencyKey: 'k1',
      rideId: '256',
      puLocationId: 130,
      doLocationId: 205,
      tripDistance: 3.66,
      predictedDuration: 12.5,
      modelName: 'm',
      modelVersion: 'v7',
      latencyMs: 0.4,
    },
    {
      source: 'stream',
      idempotencyKey: 's/1',
      status: 'rejected',
      rideId: '257',
      reason: 'ride.trip_distance: must be a number',
    },
  ]);
});

afterAll(async () => {
  await reader?.end();
  await outsider?.end();
  await owner?.end();
  await database?.drop();
  // Login roles are cluster-wide: drop them with the database they were made for.
  const admin = createPgPool(database.url.replace(/\/[^/]*$/, '/postgres'), { max: 1 });
  await admin.query(`DROP ROLE IF EXISTS ${readerRole}`);
  await admin.query(`DROP ROLE IF EXISTS ${outsiderRole}`);
  await admin.end();
});

describe('tripcast_api views', () => {
  it('keep their promised columns, each documented with a comment', async () => {
    const { rows } = await owner.query<{ view: string; col: string; comment: string | null }>(
      `SELECT c.table_name AS view, c.column_name || ' ' || c.data_type AS col,
              col_description(format('%I.%I', c.table_schema, c.table_name)::regclass, c.ordinal_position) AS comment
         FROM information_schema.columns c
        WHERE c.table_schema = 'tripcast_api'
        ORDER BY c.table_name, c.ordinal_position`,
    );
    const byView: Record<string, string[]> = {};
    for (const row of rows) (byView[row.view] ??= []).push(row.col);
    expect(byView).toEqual(PROMISED_COLUMNS);
    expect(rows.filter((row) => !row.comment).map((row) => `${row.view}.${row.col}`)).toEqual([]);
    const { rows: views } = await owner.query<{ name: string; comment: string | null }>(
      `SELECT c.relname AS name, obj_description(c.oid, 'pg_class') AS comment
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'tripcast_api' ORDER BY 1`,
    );
    expect(views.map((view) => view.name)).toEqual([
      'batch_predictions',
      'batch_runs',
      'prediction_history',
    ]);
    for (const view of views) expect(view.comment).toMatch(/_v2/);
  });

  it('a login role granted tripcast_reader reads a finished run, and only finished runs', async () => {
    const runs = await reader.query(
      `SELECT run_id, status, rows_scored, model_version, output_uri FROM tripcast_api.batch_runs
        WHERE taxi_type = 'green' AND year = 2021 AND month = 1 ORDER BY run_id`,
    );
    expect(runs.rows).toEqual([
      {
        run_id: 'green-2021-01-done',
        status: 'succeeded',
        rows_scored: 3,
        model_version: 'v7',
        output_uri: 'predictions/taxi_type=green/year=2021/month=01/green-2021-01-done.parquet',
      },
      {
        run_id: 'green-2021-01-failed',
        status: 'failed',
        rows_scored: 2,
        model_version: 'v7',
        output_uri: 'predictions/taxi_type=green/year=2021/month=01/green-2021-01-failed.parquet',
      },
      {
        run_id: 'green-2021-01-rerun',
        status: 'running',
        rows_scored: 2,
        model_version: 'v7',
        output_uri: 'predictions/taxi_type=green/year=2021/month=01/green-2021-01-rerun.parquet',
      },
    ]);

    const predictions = await reader.query(
      `SELECT run_id, row_index, ride_id, pickup_datetime::text AS pickup, pu_location_id, do_location_id,
              actual_duration, predicted_duration, diff, model_version
         FROM tripcast_api.batch_predictions WHERE run_id = $1 AND row_index > $2 ORDER BY row_index LIMIT 2`,
      ['green-2021-01-done', -1],
    );
    expect(predictions.rows).toEqual([
      {
        run_id: 'green-2021-01-done',
        row_index: 0,
        ride_id: '2021/01_0',
        pickup: '2021-01-01 08:00:00',
        pu_location_id: 130,
        do_location_id: 205,
        actual_duration: null,
        predicted_duration: 12,
        diff: null,
        model_version: 'v7',
      },
      {
        run_id: 'green-2021-01-done',
        row_index: 1,
        ride_id: '2021/01_1',
        pickup: '2021-01-01 08:01:00',
        pu_location_id: 130,
        do_location_id: 205,
        actual_duration: 11,
        predicted_duration: 12,
        diff: -1,
        model_version: 'v7',
      },
    ]);
    const perRun = await reader.query(
      'SELECT run_id, count(*)::int AS n FROM tripcast_api.batch_predictions GROUP BY run_id ORDER BY run_id',
    );
    expect(perRun.rows).toEqual([{ run_id: 'green-2021-01-done', n: 3 }]);

    const history = await reader.query(
      'SELECT source, status, ride_id, predicted_duration, model_version, reason FROM tripcast_api.prediction_history ORDER BY id',
    );
    expect(history.rows).toEqual([
      {
        source: 'online',
        status: 'scored',
        ride_id: '256',
        predicted_duration: 12.5,
        model_version: 'v7',
        reason: null,
      },
      {
        source: 'stream',
        status: 'rejected',
        ride_id: '257',
        predicted_duration: null,
        model_version: null,
        reason: 'ride.trip_distance: must be a number',
      },
    ]);
  });

  it('the documented query reads one run: only its partition, along its primary key, stopping at the page', async () => {
    // Big enough partitions that a plan scanning them would show (and cost) it.
    await createFinishedRun({ id: 'green-2021-02-big', status: 'succeeded', rows: 20_000 });
    await createFinishedRun({ id: 'green-2021-03-big', status: 'succeeded', rows: 20_000 });
    await owner.query('ANALYZE batch_runs');
    const query = `SELECT * FROM tripcast_api.batch_predictions
      WHERE run_key = (SELECT run_key FROM tripcast_api.batch_runs WHERE run_id = $1) AND row_index > $2
      ORDER BY row_index LIMIT 10`;
    const page = await reader.query<{ row_index: number }>(query, ['green-2021-02-big', 100]);
    expect(page.rows.map((row) => row.row_index)).toEqual([
      101, 102, 103, 104, 105, 106, 107, 108, 109, 110,
    ]);

    const { rows } = await owner.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ${query.replace('$1', "'green-2021-02-big'").replace('$2', '100')}`,
    );
    const plan = rows.map((row) => row['QUERY PLAN']).join('\n');
    // Partitions are batch_predictions_run_<key>: the others are pruned (never executed), and the
    // run's own is read through its primary key, 10 rows and no more (no sort of the whole run).
    const executed = plan
      .split('\n')
      .filter((line) => /on batch_predictions_run_\d+/.test(line) && !/never executed/.test(line));
    expect(executed, plan).toHaveLength(1);
    expect(executed[0], plan).toMatch(
      /Index Scan using batch_predictions_run_\d+_pkey .*\(actual rows=10 loops=1\)/,
    );
    expect(plan).not.toMatch(/Sort/);
  });

  it('the reader is refused the base tables, every write, and creating anything', async () => {
    for (const table of [
      'batch_runs',
      'batch_predictions',
      'prediction_history',
      'api_keys',
      'users',
      'model_versions',
      'audit_log',
      '_prisma_migrations',
    ]) {
      expect(await sqlState(reader.query(`SELECT 1 FROM public.${table} LIMIT 1`)), table).toBe(
        INSUFFICIENT_PRIVILEGE,
      );
    }
    expect(
      await sqlState(reader.query("UPDATE tripcast_api.batch_runs SET model_version = 'forged'")),
    ).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await sqlState(reader.query('DELETE FROM tripcast_api.prediction_history'))).toBe(
      INSUFFICIENT_PRIVILEGE,
    );
    expect(
      await sqlState(
        reader.query(
          "INSERT INTO tripcast_api.prediction_history (ride_id, model_version) VALUES ('forged', 'v0')",
        ),
      ),
    ).toBe(INSUFFICIENT_PRIVILEGE);
    expect(
      await sqlState(
        reader.query(
          "INSERT INTO public.audit_log (actor, action, target_type) VALUES ('x', 'y', 'z')",
        ),
      ),
    ).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await sqlState(reader.query('CREATE TABLE tripcast_api.mine (x int)'))).toBe(
      INSUFFICIENT_PRIVILEGE,
    );
    expect(await sqlState(reader.query('CREATE TABLE public.mine (x int)'))).toBe(
      INSUFFICIENT_PRIVILEGE,
    );
    expect(await sqlState(reader.query('CREATE VIEW tripcast_api.mine AS SELECT 1'))).toBe(
      INSUFFICIENT_PRIVILEGE,
    );
  });

  it('a login role without tripcast_reader is refused the views (the grant is what opens them)', async () => {
    expect(await sqlState(outsider.query('SELECT 1 FROM tripcast_api.batch_runs'))).toBe(
      INSUFFICIENT_PRIVILEGE,
    );
  });
});
