// Scalar functions that work on DuckDB's vectors in place, for the batch scorer's per-vector
// functions (score-function.ts, challenger-columns.ts). @duckdb/node-api wraps every call's input
// chunk and output vector in objects (a logical type, a validity mask and a typed array per
// column), which cost a 3M-row run about 0.1 s of the JS thread while DuckDB's threads wait for
// it. Here a call reads its arguments as plain typed arrays through @duckdb/node-bindings (the
// binding node-api itself is built on) and writes its results back with two copies.
import duckdb from '@duckdb/node-bindings';
import { DuckDBScalarFunction, type DuckDBConnection, type DuckDBType } from '@duckdb/node-api';

import { createValidityMask, markNull, writeValidityMask } from './validity-mask';

/**
 * The arguments of one call: `rowCount` rows, each column a fresh copy of DuckDB's vector that
 * the function may keep after it returns (score-function.ts queues them for later work).
 */
export type TVectorInput = {
  rowCount: number;
  float64(column: number): Float64Array;
  int32(column: number): Int32Array;
};

/** A FLOAT result vector: set `values[i]`, or mark row i NULL; written back when the call returns. */
export type TFloatResult = {
  values: Float32Array;
  setNull(row: number): void;
};

/**
 * Registers a FLOAT-returning scalar function whose `main` reads its arguments as typed arrays
 * (DOUBLE columns through `float64`, INTEGER through `int32`: the caller knows its parameter
 * types). Volatile: every function here keeps or reads state that changes during a run, so DuckDB
 * must call it for every row and never fold or reuse a result. An error thrown by `main` fails the
 * query with its message.
 */
export function registerFloatVectorFunction(
  connection: DuckDBConnection,
  spec: {
    name: string;
    parameterTypes: readonly DuckDBType[];
    returnType: DuckDBType;
    main: (input: TVectorInput, output: TFloatResult) => void;
  },
): void {
  const fn = DuckDBScalarFunction.create({
    name: spec.name,
    returnType: spec.returnType,
    parameterTypes: spec.parameterTypes,
    volatile: true,
    // Replaced below; node-api wants one to create the function.
    mainFunction: () => undefined,
  });
  duckdb.scalar_function_set_function(fn.scalar_function, (_info, chunk, output) => {
    const rowCount = duckdb.data_chunk_get_size(chunk);
    const bytes = (vector: duckdb.Vector, width: number) =>
      duckdb.vector_get_data(vector, rowCount * width);
    const input: TVectorInput = {
      rowCount,
      float64(column) {
        const data = bytes(duckdb.data_chunk_get_vector(chunk, column), 8);
        return new Float64Array(data.buffer, data.byteOffset, rowCount);
      },
      int32(column) {
        const data = bytes(duckdb.data_chunk_get_vector(chunk, column), 4);
        return new Int32Array(data.buffer, data.byteOffset, rowCount);
      },
    };
    const values = new Float32Array(rowCount);
    // Typed by assertion: assigned only in setNull, so TS would otherwise narrow it to null below.
    let validity = null as Uint8Array | null;
    spec.main(input, {
      values,
      setNull(row) {
        // Built on the first NULL: all rows are valid until then.
        validity ??= createValidityMask(rowCount);
        markNull(validity, row);
      },
    });
    // The binding hands out copies of DuckDB's memory (it is built without external buffers), so
    // the results are copied into the vector: the values, and the NULL mask if any.
    duckdb.copy_data_to_vector(output, 0, values.buffer, 0, values.byteLength);
    if (validity) writeValidityMask(output, validity);
  });
  connection.registerScalarFunction(fn);
}
