// The scoring pass inside DuckDB's own query. A scalar function, registered on the connection
// that runs the output COPY, is handed each vector of the month as the COPY reads it; it validates
// and scores the rows of DuckDB's column vectors and returns the predictions (NULL for a
// rejected row, which the COPY's WHERE leaves out). So the month is read once and written once:
// the scoring work is the only cost beyond DuckDB's own read and write (bench/batch/README.md).
//
// DuckDB calls the function from its worker threads but node-api runs it on the JS thread, one
// call at a time, while those threads wait: everything in it is synchronous (onnxruntime's
// predictSync), and the calls come in no particular order, so each row carries its index.
import { DOUBLE, FLOAT, INTEGER, type DuckDBConnection } from '@duckdb/node-api';
import type { TRideColumns } from '@tripcast/model/features';
import type { TTripChunk, validateTripChunk } from '@tripcast/model/trips';

import { registerFloatVectorFunction } from './vector-function';

export const SCORE_FUNCTION = 'tripcast_score';

/** One vector of the month: the trip columns plus each row's index in the file. */
export type TVectorBatch = TTripChunk & { rowIndex: Int32Array };

/**
 * Scores one vector: `reasons[i]` 0 = scored, else rejected; `predicted` holds the scored rows'
 * predictions in row order. The batch's arrays are the callee's own (copies of DuckDB's vectors,
 * see vector-function.ts): the work queued for later keeps them without another copy.
 */
export type TScoreVectors = (batch: TVectorBatch) => {
  reasons: Uint8Array;
  predicted: Float32Array;
};

/** A scored vector, for the work that can wait (createVectorQueue). */
export type TScoredVector = {
  batch: TVectorBatch;
  checked: ReturnType<typeof validateTripChunk>;
  /** The scored rows' model columns, in row order. */
  rides: TRideColumns;
  actual: Float32Array;
  predicted: Float32Array;
};

/**
 * Vectors scored but not yet recorded, at most: a bound on memory (64 x 2,048 rows: a few MB) if
 * the recording falls behind DuckDB; past it, the score function records before it returns.
 */
export const MAX_QUEUED_VECTORS = 64;

/**
 * Runs `record` on each pushed item, in order, on the JS thread between DuckDB's calls of the
 * score function (setImmediate), so DuckDB's threads do not wait for it. The first error stops
 * the recording: the next push throws it (failing the query), and so does drain().
 */
export function createVectorQueue<T>(
  record: (item: T) => void,
  maxQueued: number,
): { push(item: T): void; drain(): void } {
  const queue: T[] = [];
  let failure: { error: unknown } | null = null;
  let isScheduled = false;
  const recordOne = () => {
    const item = queue.shift()!;
    if (failure) return;
    try {
      record(item);
    } catch (error) {
      failure = { error };
    }
  };
  const schedule = () => {
    if (isScheduled) return;
    isScheduled = true;
    setImmediate(() => {
      isScheduled = false;
      // A few at a time, so the score function's calls waiting in the event loop get their turn.
      for (let k = 0; k < 4 && queue.length > 0; k++) recordOne();
      if (queue.length > 0) schedule();
    });
  };
  return {
    push(item) {
      if (failure) throw failure.error;
      queue.push(item);
      while (queue.length > maxQueued) recordOne();
      schedule();
    },
    drain() {
      while (queue.length > 0) recordOne();
      if (failure) throw failure.error;
    },
  };
}

/**
 * Registers SCORE_FUNCTION(pickup_ms, dropoff_ms, pu, do, distance, row_index) -> FLOAT on the
 * connection. Its arguments are @tripcast/model/trips' tripColumnExpressions (never NULL).
 */
export function registerScoreFunction(
  connection: DuckDBConnection,
  scoreVectors: TScoreVectors,
): void {
  registerFloatVectorFunction(connection, {
    name: SCORE_FUNCTION,
    returnType: FLOAT,
    parameterTypes: [DOUBLE, DOUBLE, INTEGER, INTEGER, DOUBLE, INTEGER],
    main: (input, output) => {
      const n = input.rowCount;
      const rowIndex = input.int32(5);
      const { reasons, predicted } = scoreVectors({
        rowOffset: rowIndex[0] ?? 0,
        length: n,
        pickupMs: input.float64(0),
        dropoffMs: input.float64(1),
        pu: input.int32(2),
        do: input.int32(3),
        distance: input.float64(4),
        rowIndex,
      });
      for (let i = 0, j = 0; i < n; i++) {
        if (reasons[i] === 0) output.values[i] = predicted[j++]!;
        else output.setNull(i);
      }
    },
  });
}
