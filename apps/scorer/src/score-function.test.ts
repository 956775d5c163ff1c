// The score function on a real DuckDB (no model: the scorer callback is the test's, so each case
// can reject, predict or fail where it wants); the whole run with real models is scorer-cli.test.
import { withDuckDb } from '@tripcast/model/trips';
import { describe, expect, it } from 'vitest';
import { createVectorQueue, registerScoreFunction, SCORE_FUNCTION } from './score-function';

const CALL = `${SCORE_FUNCTION}(i * 1000.0, i * 1000.0 + 600000.0, (i % 265 + 1)::INTEGER, 7, i / 10.0, i::INTEGER)`;

describe('the score function', () => {
  it('is called once per row, with each row index, and returns NULL for the rejected rows', async () => {
    await withDuckDb(async (connection) => {
      const seen = new Set<number>();
      let calls = 0;
      registerScoreFunction(connection, (batch) => {
        calls++;
        const reasons = new Uint8Array(batch.length);
        const predicted: number[] = [];
        for (let k = 0; k < batch.length; k++) {
          const row = batch.rowIndex[k]!;
          seen.add(row);
          if (row % 3 === 0) reasons[k] = 1;
          else predicted.push(batch.distance[k]! * 2);
        }
        return { reasons, predicted: Float32Array.from(predicted) };
      });
      const reader = await connection.runAndReadAll(
        `SELECT count(*)::INTEGER AS n, count(p)::INTEGER AS scored, sum(p)::DOUBLE AS total
         FROM (SELECT ${CALL} AS p FROM range(100000) t(i))`,
      );
      const [row] = reader.getRowObjectsJS();
      expect(seen.size).toBe(100_000);
      expect(calls).toBeGreaterThanOrEqual(Math.ceil(100_000 / 2048));
      expect(row?.n).toBe(100_000);
      expect(row?.scored).toBe(100_000 - Math.ceil(100_000 / 3));
      let expected = 0;
      for (let i = 0; i < 100_000; i++)
        if (i % 3 !== 0) expected += Math.fround(Math.fround(i / 10) * 2);
      expect(row?.total).toBeCloseTo(expected, 0);
    });
  });

  it('hands a constant argument as a full column (fhv months have no trip_distance: NaN for every row)', async () => {
    await withDuckDb(async (connection) => {
      const distances: number[] = [];
      const zones: number[] = [];
      registerScoreFunction(connection, (batch) => {
        for (let k = 0; k < batch.length; k++) {
          distances.push(batch.distance[k]!);
          zones.push(batch.pu[k]!);
        }
        return { reasons: new Uint8Array(batch.length), predicted: new Float32Array(batch.length) };
      });
      await connection.run(
        `SELECT ${SCORE_FUNCTION}(i * 1.0, i * 1.0, 5, 7, 'NaN'::DOUBLE, i::INTEGER) FROM range(5000) t(i)`,
      );
      expect(distances).toHaveLength(5000);
      expect(distances.every((d) => Number.isNaN(d))).toBe(true);
      expect(zones.every((z) => z === 5)).toBe(true);
    });
  });

  it('fails the query with the scorer error, naming it', async () => {
    await withDuckDb(async (connection) => {
      let calls = 0;
      registerScoreFunction(connection, (batch) => {
        if (++calls === 3) throw new Error('model returned 12 values for 2048 rows');
        return { reasons: new Uint8Array(batch.length), predicted: new Float32Array(batch.length) };
      });
      await expect(connection.run(`SELECT ${CALL} FROM range(100000) t(i)`)).rejects.toThrow(
        /model returned 12 values for 2048 rows/,
      );
    });
  });
});

describe('createVectorQueue', () => {
  it('records in order, between calls, and at once past its bound', async () => {
    const recorded: number[] = [];
    const queue = createVectorQueue<number>((n) => recorded.push(n), 2);
    queue.push(1);
    queue.push(2);
    expect(recorded).toEqual([]); // waits for the event loop
    queue.push(3); // past the bound: the oldest is recorded now
    expect(recorded).toEqual([1]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(recorded).toEqual([1, 2, 3]);
    queue.push(4);
    queue.drain();
    expect(recorded).toEqual([1, 2, 3, 4]);
  });

  it('stops at the first error: the next push and drain throw it', () => {
    const recorded: number[] = [];
    const queue = createVectorQueue<number>((n) => {
      if (n === 2) throw new Error('appender: out of disk');
      recorded.push(n);
    }, 1);
    queue.push(1);
    queue.push(2);
    queue.push(3); // records 2 (past the bound), which fails
    expect(() => queue.push(4)).toThrow('appender: out of disk');
    expect(() => queue.drain()).toThrow('appender: out of disk');
    expect(recorded).toEqual([1]);
  });
});
