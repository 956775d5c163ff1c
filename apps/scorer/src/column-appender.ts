// Rows for a DuckDB table, gathered in typed arrays and appended a full chunk (2,048 rows) at a
// time. The scorer appends a few rows per scored vector (its rejects), and @duckdb/node-api's
// chunk per append (a logical type, a vector object and a value-by-value copy per column) cost a
// 3M-row run about 0.2 s of the JS thread; a chunk per 2,048 rows, its columns copied whole
// through @duckdb/node-bindings, costs next to nothing.
import duckdb from '@duckdb/node-bindings';
import {
  DOUBLE,
  DuckDBDataChunk,
  FLOAT,
  INTEGER,
  UTINYINT,
  type DuckDBAppender,
  type DuckDBConnection,
} from '@duckdb/node-api';

import { createValidityMask, markNull, writeValidityMask } from './validity-mask';

/** DuckDB's vector size: the most rows one appended chunk holds. */
const CHUNK_ROWS = 2048;

const COLUMN_TYPES = {
  integer: { type: INTEGER, array: Int32Array },
  utinyint: { type: UTINYINT, array: Uint8Array },
  float: { type: FLOAT, array: Float32Array },
  double: { type: DOUBLE, array: Float64Array },
} as const;

export type TColumnType = keyof typeof COLUMN_TYPES;
type TColumnArray<K extends TColumnType> = InstanceType<(typeof COLUMN_TYPES)[K]['array']>;
/** One column of a table: its name and its type. */
export type TColumnSpec = readonly [name: string, type: TColumnType];

export type TColumnAppender<K extends readonly TColumnSpec[]> = {
  /** One typed array per column, in `K`'s order: a row is written at the index `addRow` returns. */
  columns: { [I in keyof K]: TColumnArray<K[I][1]> };
  /** Reserves the next row (appending the gathered chunk first when it is full). */
  addRow(): number;
  /** Appends the gathered rows and commits the appender (its unflushed rows cannot spill). */
  flush(): void;
  /** Appends the gathered rows and closes the appender (committing them). */
  close(): void;
};

/**
 * Creates `table` with `columns` (the one place its names and types are written) and returns an
 * appender that fills it.
 */
export async function createColumnTable<const K extends readonly TColumnSpec[]>(
  connection: DuckDBConnection,
  table: string,
  columns: K,
): Promise<TColumnAppender<K>> {
  const definitions = columns.map(
    ([name, type]) => `${name} ${COLUMN_TYPES[type].type.toString()}`,
  );
  await connection.run(`CREATE TABLE ${table} (${definitions.join(', ')})`);
  return createColumnAppender(await connection.createAppender(table), columns);
}

/**
 * Gathers rows for `appender`'s table, whose columns are `columns` in order. A NaN in a FLOAT or
 * DOUBLE column is appended as NULL.
 */
function createColumnAppender<const K extends readonly TColumnSpec[]>(
  appender: DuckDBAppender,
  columns: K,
): TColumnAppender<K> {
  const specs = columns.map(([, type]) => COLUMN_TYPES[type]);
  const arraysByColumn = specs.map((s) => new s.array(CHUNK_ROWS)) as TColumnAppender<K>['columns'];
  const arrays = arraysByColumn as unknown as (
    Int32Array | Uint8Array | Float32Array | Float64Array
  )[];
  let rows = 0;

  const appendGathered = () => {
    if (rows === 0) return;
    const chunk = DuckDBDataChunk.create(
      specs.map((s) => s.type),
      rows,
    );
    arrays.forEach((values, k) => {
      const vector = duckdb.data_chunk_get_vector(chunk.chunk, k);
      duckdb.copy_data_to_vector(
        vector,
        0,
        values.buffer as ArrayBuffer,
        0,
        rows * values.BYTES_PER_ELEMENT,
      );
      if (!(values instanceof Float32Array || values instanceof Float64Array)) return;
      let mask: Uint8Array | null = null;
      for (let i = 0; i < rows; i++) {
        if (values[i] !== values[i]) {
          mask ??= createValidityMask(rows);
          markNull(mask, i);
        }
      }
      if (mask) writeValidityMask(vector, mask);
    });
    appender.appendDataChunk(chunk);
    rows = 0;
  };

  return {
    columns: arraysByColumn,
    addRow() {
      if (rows === CHUNK_ROWS) appendGathered();
      return rows++;
    },
    flush() {
      appendGathered();
      appender.flushSync();
    },
    close() {
      appendGathered();
      appender.closeSync();
    },
  };
}
