// Each challenger's predictions of a run, held by row index until its sibling Parquet and its
// Postgres rows are written. The score function sees the month's vectors in no particular order;
// kept by row index they come out in the file's order with no sort: each sibling COPY reads them
// through CHALLENGER_FUNCTION over range(rows). Appending them to a DuckDB table per scored vector
// and sorting it cost a 3M-row run with two challengers about 0.6 s more (bench/batch/README.md).
//
// Memory: 1 byte per row of the month (which rows production scored) and 4 per row per
// challenger: 3M rows with two challengers 27 MB, 12M rows 108 MB.
import { FLOAT, INTEGER, type DuckDBConnection } from '@duckdb/node-api';

import { registerFloatVectorFunction, type TFloatResult } from './vector-function';

/**
 * CHALLENGER_FUNCTION(slot, row_index) -> FLOAT: challenger `slot`'s prediction of the row, NULL
 * for a row production did not score.
 */
export const CHALLENGER_FUNCTION = 'tripcast_challenger_prediction';

export type TChallengerColumns = {
  /** Records the rows production scored (their indices in the file). */
  markScored(rowIndex: Int32Array): void;
  /** Challenger `slot`'s predictions of the rows `rowIndex`, in the same order. */
  set(slot: number, rowIndex: Int32Array, predicted: Float32Array): void;
  /** Challenger `slot`'s predictions of the scored rows, in file order, `size` rows at a time. */
  chunks(slot: number, size: number): Generator<{ rowIndex: Int32Array; predicted: Float32Array }>;
  /** Writes challenger `slot`'s predictions of `rows` into a FLOAT result vector (NULL: not scored). */
  gather(slot: number, rows: Int32Array, out: TFloatResult): void;
};

/** Columns for `slots` challengers over a month of `totalRows` rows. */
export function createChallengerColumns(totalRows: number, slots: number): TChallengerColumns {
  const scored = new Uint8Array(totalRows);
  const values = Array.from({ length: slots }, () => new Float32Array(totalRows));
  return {
    markScored(rowIndex) {
      for (const i of rowIndex) scored[i] = 1;
    },
    set(slot, rowIndex, predicted) {
      const target = values[slot];
      if (!target) throw new Error(`no challenger column ${slot} (${slots} kept)`);
      for (let j = 0; j < rowIndex.length; j++) target[rowIndex[j]!] = predicted[j]!;
    },
    gather(slot, rows, out) {
      const column = values[slot];
      if (!column) throw new Error(`no challenger column ${slot} (${slots} kept)`);
      for (let i = 0; i < rows.length; i++) {
        const row = rows[i]!;
        if (scored[row] === 1) out.values[i] = column[row]!;
        else out.setNull(i);
      }
    },
    *chunks(slot, size) {
      const column = values[slot];
      if (!column) throw new Error(`no challenger column ${slot} (${slots} kept)`);
      let rowIndex = new Int32Array(size);
      let predicted = new Float32Array(size);
      let n = 0;
      for (let i = 0; i < totalRows; i++) {
        if (scored[i] === 0) continue;
        rowIndex[n] = i;
        predicted[n++] = column[i]!;
        if (n === size) {
          yield { rowIndex, predicted };
          rowIndex = new Int32Array(size);
          predicted = new Float32Array(size);
          n = 0;
        }
      }
      if (n > 0) yield { rowIndex: rowIndex.subarray(0, n), predicted: predicted.subarray(0, n) };
    },
  };
}

/**
 * Registers CHALLENGER_FUNCTION, reading `columns`, on the database of `connection` (its other
 * connections see it too: the sibling COPYs run on connections of their own).
 */
export function registerChallengerFunction(
  connection: DuckDBConnection,
  columns: TChallengerColumns,
): void {
  registerFloatVectorFunction(connection, {
    name: CHALLENGER_FUNCTION,
    returnType: FLOAT,
    parameterTypes: [INTEGER, INTEGER],
    main: (input, output) => columns.gather(input.int32(0)[0]!, input.int32(1), output),
  });
}
