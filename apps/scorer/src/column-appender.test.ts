// The column table on a real DuckDB database: the table made from its spec, rows gathered across
// many small appends, chunks cut at DuckDB's 2,048 rows, NaN written as NULL, and every row
// committed by flush and close.
import { withDuckDb } from '@tripcast/model/trips';
import { describe, expect, it } from 'vitest';

import { createColumnTable } from './column-appender';

describe('createColumnTable', () => {
  it('appends every row in order with its types, NaN as NULL, across chunk and flush boundaries', async () => {
    await withDuckDb(async (connection) => {
      const appender = await createColumnTable(connection, 't', [
        ['i', 'integer'],
        ['code', 'utinyint'],
        ['f', 'float'],
        ['d', 'double'],
      ]);
      const schema = await connection.runAndReadAll('DESCRIBE t');
      expect(schema.getRowObjectsJS().map((c) => [c.column_name, c.column_type])).toEqual([
        ['i', 'INTEGER'],
        ['code', 'UTINYINT'],
        ['f', 'FLOAT'],
        ['d', 'DOUBLE'],
      ]);
      const [i, code, f, d] = appender.columns;
      const total = 5000;
      for (let row = 0; row < total; row++) {
        const j = appender.addRow();
        i[j] = row - 10;
        code[j] = row % 256;
        f[j] = row % 7 === 0 ? Number.NaN : row / 4;
        d[j] = row % 11 === 0 ? Number.NaN : row * 1e6 + 0.125;
        if (row === 3000) appender.flush(); // a commit in the middle of a chunk
      }
      appender.close();
      const reader = await connection.runAndReadAll('SELECT * FROM t');
      const rows = reader.getRowObjectsJS() as {
        i: number;
        code: number;
        f: number | null;
        d: number | null;
      }[];
      expect(rows).toHaveLength(total);
      rows.forEach((r, row) => {
        expect(r.i).toBe(row - 10);
        expect(r.code).toBe(row % 256);
        expect(r.f).toBe(row % 7 === 0 ? null : row / 4);
        expect(r.d).toBe(row % 11 === 0 ? null : row * 1e6 + 0.125);
      });
    });
  });

  it('appends nothing when no row was added', async () => {
    await withDuckDb(async (connection) => {
      const appender = await createColumnTable(connection, 't', [['i', 'integer']]);
      appender.close();
      const reader = await connection.runAndReadAll('SELECT count(*)::INTEGER AS n FROM t');
      expect(reader.getRowObjectsJS()[0]?.n).toBe(0);
    });
  });
});
