// The challenger columns on a real DuckDB: vectors recorded out of order come back in file order,
// through CHALLENGER_FUNCTION (the sibling Parquet) and through chunks (the Postgres rows).
import { withDuckDb } from '@tripcast/model/trips';
import { describe, expect, it } from 'vitest';

import {
  CHALLENGER_FUNCTION,
  createChallengerColumns,
  registerChallengerFunction,
} from './challenger-columns';

const ROWS = 10_000;
/** Rows 0..ROWS-1 in vectors of 2,048 recorded last first; every 7th row rejected. */
function recordOutOfOrder() {
  const columns = createChallengerColumns(ROWS, 2);
  for (let start = Math.floor((ROWS - 1) / 2048) * 2048; start >= 0; start -= 2048) {
    const rows: number[] = [];
    for (let i = start; i < Math.min(start + 2048, ROWS); i++) if (i % 7 !== 0) rows.push(i);
    const rowIndex = Int32Array.from(rows);
    columns.markScored(rowIndex);
    columns.set(
      0,
      rowIndex,
      Float32Array.from(rows, (i) => i / 4),
    );
    columns.set(
      1,
      rowIndex,
      Float32Array.from(rows, (i) => -i),
    );
  }
  return columns;
}
const scoredRows = Array.from({ length: ROWS }, (_, i) => i).filter((i) => i % 7 !== 0);

describe('challenger columns', () => {
  it('give each scored row its prediction in file order, NULL for a row production did not score', async () => {
    const columns = recordOutOfOrder();
    await withDuckDb(async (connection) => {
      registerChallengerFunction(connection, columns);
      const reader = await connection.runAndReadAll(
        `SELECT row_index, p FROM (
           SELECT range::INTEGER AS row_index, ${CHALLENGER_FUNCTION}(0, range::INTEGER) AS p FROM range(${ROWS})
         ) WHERE p IS NOT NULL`,
      );
      const rows = reader.getRowObjectsJS();
      expect(rows.map((r) => r.row_index)).toEqual(scoredRows);
      expect(rows.every((r) => r.p === (r.row_index as number) / 4)).toBe(true);
      const second = await connection.runAndReadAll(
        `SELECT count(*)::INTEGER AS nulls FROM range(${ROWS}) WHERE ${CHALLENGER_FUNCTION}(1, range::INTEGER) IS NULL`,
      );
      expect(second.getRowObjectsJS()[0]?.nulls).toBe(ROWS - scoredRows.length);
    });
  });

  it("chunks a challenger's predictions of the scored rows in file order", () => {
    const columns = recordOutOfOrder();
    const chunks = [...columns.chunks(1, 3000)];
    expect(chunks.map((c) => c.rowIndex.length)).toEqual([3000, 3000, scoredRows.length - 6000]);
    const rowIndex = chunks.flatMap((c) => [...c.rowIndex]);
    expect(rowIndex).toEqual(scoredRows);
    expect(chunks.flatMap((c) => [...c.predicted])).toEqual(scoredRows.map((i) => -i));
  });
});
