// The raw vector function on a real DuckDB: what it reads, what it writes, and that the arrays it
// hands out are the function's own (the score function queues them past the call).
import { DOUBLE, FLOAT, INTEGER } from '@duckdb/node-api';
import { withDuckDb } from '@tripcast/model/trips';
import { describe, expect, it } from 'vitest';

import { registerFloatVectorFunction } from './vector-function';

describe('registerFloatVectorFunction', () => {
  it('reads DOUBLE and INTEGER arguments, writes values and NULLs, and its input arrays outlive the call', async () => {
    await withDuckDb(async (connection) => {
      const kept: { rows: Int32Array; halves: Float64Array }[] = [];
      registerFloatVectorFunction(connection, {
        name: 'half_or_null',
        returnType: FLOAT,
        parameterTypes: [INTEGER, DOUBLE],
        main: (input, output) => {
          const rows = input.int32(0);
          const halves = input.float64(1);
          kept.push({ rows, halves });
          for (let i = 0; i < input.rowCount; i++) {
            if (rows[i]! % 5 === 0) output.setNull(i);
            else output.values[i] = halves[i]!;
          }
        },
      });
      const reader = await connection.runAndReadAll(
        `SELECT i::INTEGER AS i, half_or_null(i::INTEGER, i / 2.0) AS p FROM range(10000) t(i) ORDER BY i`,
      );
      const rows = reader.getRowObjectsJS() as { i: number; p: number | null }[];
      expect(rows).toHaveLength(10_000);
      for (const { i, p } of rows) expect(p).toBe(i % 5 === 0 ? null : i / 2);
      // Every call's arrays still hold that call's rows after the query: none was reused.
      const seen = new Set<number>();
      for (const { rows: r, halves } of kept)
        for (let k = 0; k < r.length; k++) {
          expect(halves[k]).toBe(r[k]! / 2);
          seen.add(r[k]!);
        }
      expect(seen.size).toBe(10_000);
    });
  });

  it('fails the query with the error the function throws', async () => {
    await withDuckDb(async (connection) => {
      registerFloatVectorFunction(connection, {
        name: 'broken',
        returnType: FLOAT,
        parameterTypes: [INTEGER],
        main: () => {
          throw new Error('the model is gone');
        },
      });
      await expect(connection.run(`SELECT broken(i::INTEGER) FROM range(10) t(i)`)).rejects.toThrow(
        /the model is gone/,
      );
    });
  });
});
