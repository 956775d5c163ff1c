import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replaceRunPredictions, runPartitionName } from './batch-predictions';
import type { TBatchPredictionChunk } from './batch-predictions';
import { createPgPool } from './client';
import { createMigratedTestDatabase } from './testing';
import type { TTestDatabase } from './testing';

let database: TTestDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  database = await createMigratedTestDatabase();
  pool = createPgPool(database.url, { max: 4 });
});
afterAll(async () => {
  await pool.end();
  await database.drop();
});

async function createRun(id: string): Promise<number> {
  const { rows } = await pool.query<{ key: number }>(
    "INSERT INTO batch_runs (id, taxi_type, year, month, input_uri, trigger) VALUES ($1, 'green', 2021, 1, 'file:///in.parquet', 'cli') RETURNING key",
    [id],
  );
  return rows[0]!.key;
}

type TRow = {
  rowIndex: number;
  rideId: string;
  pickupMs: number;
  pu: number;
  do: number;
  actual: number;
  predicted: number;
};

function toChunk(rows: TRow[]): TBatchPredictionChunk {
  return {
    rowIndex: Int32Array.from(rows, (row) => row.rowIndex),
    rideId: rows.map((row) => row.rideId),
    pickupMs: Float64Array.from(rows, (row) => row.pickupMs),
    pu: Int16Array.from(rows, (row) => row.pu),
    do: Int32Array.from(rows, (row) => row.do),
    actual: Float32Array.from(rows, (row) => row.actual),
    predicted: Float32Array.from(rows, (row) => row.predicted),
  };
}

function makeRows(count: number, { offset = 0, predicted = 10 } = {}): TRow[] {
  return Array.from({ length: count }, (_, i) => ({
    rowIndex: offset + i,
    rideId: `2021/01_${offset + i}`,
    pickupMs: Date.UTC(2021, 0, 1, 0, 0, 0) + (offset + i) * 60_000,
    pu: 1 + (i % 265),
    do: 265 - (i % 265),
    actual: i % 3 === 0 ? Number.NaN : 1.5 + i,
    predicted: predicted + i / 4,
  }));
}

async function countRows(runKey: number): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM batch_predictions WHERE run_key = $1',
    [runKey],
  );
  return rows[0]!.n;
}

describe('replaceRunPredictions', () => {
  it('round-trips every column, NULL actual durations, timestamps to the microsecond and UTF-8 ride ids', async () => {
    const runKey = await createRun('round-trip');
    const rows: TRow[] = [
      {
        rowIndex: 0,
        rideId: '2021/01_0',
        pickupMs: Date.UTC(2021, 0, 1, 0, 15, 7, 123),
        pu: 74,
        do: 130,
        actual: 12.25,
        predicted: 11.5,
      },
      {
        rowIndex: 1,
        rideId: '2021/01_1',
        pickupMs: Date.UTC(1999, 11, 31, 23, 59, 59),
        pu: 1,
        do: 265,
        actual: Number.NaN,
        predicted: 0.125,
      },
      {
        rowIndex: 7,
        rideId: 'ride-é-✓',
        pickupMs: Date.UTC(2038, 5, 1, 12),
        pu: 265,
        do: 1,
        actual: -3,
        predicted: 60,
      },
    ];
    const result = await replaceRunPredictions({ pool, runKey, rows: [toChunk(rows)] });
    expect(result.rowCount).toBe(3);

    const { rows: stored } = await pool.query<{
      row_index: number;
      ride_id: string;
      pickup: string;
      pu_location_id: number;
      do_location_id: number;
      actual_duration: number | null;
      predicted_duration: number;
    }>(
      `SELECT row_index, ride_id, to_char(pickup_datetime, 'YYYY-MM-DD HH24:MI:SS.US') AS pickup, pu_location_id, do_location_id, actual_duration, predicted_duration
       FROM batch_predictions WHERE run_key = $1 ORDER BY row_index`,
      [runKey],
    );
    expect(stored).toEqual([
      {
        row_index: 0,
        ride_id: '2021/01_0',
        pickup: '2021-01-01 00:15:07.123000',
        pu_location_id: 74,
        do_location_id: 130,
        actual_duration: 12.25,
        predicted_duration: 11.5,
      },
      {
        row_index: 1,
        ride_id: '2021/01_1',
        pickup: '1999-12-31 23:59:59.000000',
        pu_location_id: 1,
        do_location_id: 265,
        actual_duration: null,
        predicted_duration: 0.125,
      },
      {
        row_index: 7,
        ride_id: 'ride-é-✓',
        pickup: '2038-06-01 12:00:00.000000',
        pu_location_id: 265,
        do_location_id: 1,
        actual_duration: -3,
        predicted_duration: 60,
      },
    ]);
  });

  it('stores the trip distance and the anomaly codes (NULL when absent), as the course policy flags them', async () => {
    const runKey = await createRun('anomaly-round-trip');
    const rows = makeRows(3);
    const chunk = {
      ...toChunk(rows),
      tripDistance: Float32Array.from([0, 2.5, Number.NaN]),
      anomaly: ['zero_distance,pickup_outside_month', null, 'distance_too_large'],
    };
    await replaceRunPredictions({ pool, runKey, rows: [chunk, toChunk(makeRows(1, { offset: 3 }))] });
    const { rows: stored } = await pool.query<{ row_index: number; trip_distance: number | null; anomaly: string | null }>(
      'SELECT row_index, trip_distance, anomaly FROM batch_predictions WHERE run_key = $1 ORDER BY row_index',
      [runKey],
    );
    expect(stored).toEqual([
      { row_index: 0, trip_distance: 0, anomaly: 'zero_distance,pickup_outside_month' },
      { row_index: 1, trip_distance: 2.5, anomaly: null },
      { row_index: 2, trip_distance: null, anomaly: 'distance_too_large' },
      // A writer that gives neither column (older callers) stores NULLs.
      { row_index: 3, trip_distance: null, anomaly: null },
    ]);
  });

  it('replaces a run on rerun (never duplicates) and leaves other runs alone', async () => {
    const runKey = await createRun('rerun');
    const otherKey = await createRun('other');
    await replaceRunPredictions({ pool, runKey: otherKey, rows: [toChunk(makeRows(10))] });
    await replaceRunPredictions({
      pool,
      runKey,
      rows: [toChunk(makeRows(1_000)), toChunk(makeRows(500, { offset: 1_000 }))],
    });
    expect(await countRows(runKey)).toBe(1_500);

    await replaceRunPredictions({
      pool,
      runKey,
      rows: [toChunk(makeRows(1_200, { predicted: 20 }))],
    });
    expect(await countRows(runKey)).toBe(1_200);
    const { rows } = await pool.query<{ min: number }>(
      'SELECT min(predicted_duration) AS min FROM batch_predictions WHERE run_key = $1',
      [runKey],
    );
    expect(rows[0]!.min).toBe(20);
    expect(await countRows(otherKey)).toBe(10);
  });

  it('never shows a reader a half-loaded run: the old rows stay visible until the swap', async () => {
    const runKey = await createRun('atomic');
    await replaceRunPredictions({ pool, runKey, rows: [toChunk(makeRows(300))] });

    let releaseSecondChunk!: () => void;
    const secondChunkGate = new Promise<void>((resolve) => (releaseSecondChunk = resolve));
    let firstChunkSent!: () => void;
    const firstChunkGate = new Promise<void>((resolve) => (firstChunkSent = resolve));
    async function* slowRows(): AsyncGenerator<TBatchPredictionChunk> {
      yield toChunk(makeRows(1_000));
      firstChunkSent();
      await secondChunkGate;
      yield toChunk(makeRows(1_000, { offset: 1_000 }));
    }
    const loading = replaceRunPredictions({ pool, runKey, rows: slowRows() });
    await firstChunkGate;
    await new Promise((resolve) => setTimeout(resolve, 100)); // let the first chunk reach the server
    expect(await countRows(runKey)).toBe(300);
    releaseSecondChunk();
    await loading;
    expect(await countRows(runKey)).toBe(2_000);
  });

  it('keeps the previous rows and leaves no staging table when a load fails midway', async () => {
    const runKey = await createRun('failing');
    await replaceRunPredictions({ pool, runKey, rows: [toChunk(makeRows(50))] });
    const bad = { ...toChunk(makeRows(10, { offset: 100 })), predicted: new Float32Array(9) };
    await expect(
      replaceRunPredictions({ pool, runKey, rows: [toChunk(makeRows(100)), bad] }),
    ).rejects.toThrow(/predicted has 9 values, rowIndex has 10/);
    const missingPickup = toChunk(makeRows(3));
    missingPickup.pickupMs[1] = Number.NaN;
    await expect(replaceRunPredictions({ pool, runKey, rows: [missingPickup] })).rejects.toThrow(
      /row 1: pickup time is missing/,
    );

    expect(await countRows(runKey)).toBe(50);
    const { rows } = await pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_tables WHERE tablename LIKE 'batch_predictions_load_%'",
    );
    expect(rows[0]!.n).toBe(0);
  });

  it('serializes concurrent loads of the same run: the result is one complete load', async () => {
    const runKey = await createRun('concurrent');
    await Promise.all([
      replaceRunPredictions({ pool, runKey, rows: [toChunk(makeRows(700))] }),
      replaceRunPredictions({ pool, runKey, rows: [toChunk(makeRows(400))] }),
    ]);
    expect([700, 400]).toContain(await countRows(runKey));
  });

  it("pages one run through its own partition's primary key (partition pruning, no other run read)", async () => {
    const runKey = await createRun('plan');
    const otherKey = await createRun('plan-other');
    await replaceRunPredictions({ pool, runKey, rows: [toChunk(makeRows(5_000))] });
    await replaceRunPredictions({ pool, runKey: otherKey, rows: [toChunk(makeRows(5_000))] });
    const { rows } = await pool.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN SELECT row_index, predicted_duration FROM batch_predictions
       WHERE run_key = ${runKey} AND row_index > 100 ORDER BY row_index LIMIT 50`,
    );
    const plan = rows.map((row) => row['QUERY PLAN']).join('\n');
    expect(plan).toContain(`${runPartitionName(runKey)}_pkey`);
    expect(plan).not.toContain(runPartitionName(otherKey));
  });

  it('rejects a run key that is not a positive int4', async () => {
    await expect(replaceRunPredictions({ pool, runKey: 0, rows: [] })).rejects.toThrow(RangeError);
    await expect(replaceRunPredictions({ pool, runKey: 2 ** 31, rows: [] })).rejects.toThrow(
      RangeError,
    );
  });
});
