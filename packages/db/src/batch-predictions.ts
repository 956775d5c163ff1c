// Bulk writer for batch predictions: binary COPY into a fresh, index-free table, one index
// build, then an atomic swap of that table in as the run's partition of `batch_predictions`.
// - Rerunning a run replaces its rows (never duplicates them).
// - Readers see the old rows or the new ones, never a half-loaded run: the swap is one
//   transaction, and the load happens in a table no reader queries.
// - A killed load leaves only an unattached staging table, dropped by the next load of that run.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/** One chunk of a run's predictions, columnar (all arrays the same length). */
export type TBatchPredictionChunk = {
  /** Row position in the input month (the course's ride_id suffix). */
  rowIndex: Int32Array;
  /** The course's ride_id, `YYYY/MM_<row index>`. */
  rideId: readonly string[];
  /** Pickup wall-clock time (TLC timestamps are New York local time without zone) as ms since the epoch, read as UTC. */
  pickupMs: Float64Array;
  pu: Int16Array | Int32Array;
  do: Int16Array | Int32Array;
  /** Actual duration in minutes; NaN = unknown (stored as NULL). */
  actual: Float32Array;
  predicted: Float32Array;
  /** The input's trip distance in miles; NaN or absent = unknown (NULL). */
  tripDistance?: Float32Array;
  /** Anomaly codes of a scored row (`zero_distance,pickup_outside_month`); null or absent = none. */
  anomaly?: readonly (string | null)[];
};

export type TReplaceRunPredictionsOptions = {
  pool: pg.Pool;
  /** `batch_runs.key` of the run. */
  runKey: number;
  rows: AsyncIterable<TBatchPredictionChunk> | Iterable<TBatchPredictionChunk>;
};

export type TReplaceRunPredictionsResult = {
  rowCount: number;
  loadMs: number;
  indexMs: number;
  swapMs: number;
};

const PARENT_TABLE = 'batch_predictions';
const COLUMNS = [
  'run_key',
  'row_index',
  'ride_id',
  'pickup_datetime',
  'pu_location_id',
  'do_location_id',
  'actual_duration',
  'predicted_duration',
  'trip_distance',
  'anomaly',
];
// Namespace for pg_advisory_lock(int, int): one lock per run serializes loads of the same run.
const RUN_LOCK_NAMESPACE = 0x7d_b7e4;

/** Name of the partition that holds one run's rows. */
export function runPartitionName(runKey: number): string {
  return `${PARENT_TABLE}_run_${runKey}`;
}

function assertRunKey(runKey: number): void {
  if (!Number.isSafeInteger(runKey) || runKey <= 0 || runKey > 2 ** 31 - 1)
    throw new RangeError(`runKey must be a positive int4, got ${runKey}`);
}

/**
 * Replaces every prediction of run `runKey` with `rows`, atomically. Returns the row count and
 * where the time went. Throws (and leaves the previous rows in place) on any bad chunk.
 */
export async function replaceRunPredictions({
  pool,
  runKey,
  rows,
}: TReplaceRunPredictionsOptions): Promise<TReplaceRunPredictionsResult> {
  return replaceRunPartition(pool, runKey, {
    parent: PARENT_TABLE,
    columns: COLUMNS,
    primaryKey: ['run_key', 'row_index'],
    encode: (onRows) => encodeCopyBinary(runKey, rows, onRows),
  });
}

/** One chunk of one challenger's predictions of a run (arrays the same length). */
export type TChallengerPredictionChunk = {
  modelVersion: string;
  /** Row position in the input month: production's row of the ride in batch_predictions. */
  rowIndex: Int32Array;
  predicted: Float32Array;
};

const CHALLENGER_TABLE = 'batch_challenger_predictions';
const CHALLENGER_COLUMNS = ['run_key', 'model_version', 'row_index', 'predicted_duration'];

/**
 * Replaces every challenger prediction of run `runKey` with `rows` (all challengers of the run),
 * atomically, as replaceRunPredictions does for production's. A run with no challenger rows ends
 * with no partition (a rerun without challengers drops the earlier ones).
 */
export async function replaceRunChallengerPredictions(options: {
  pool: pg.Pool;
  runKey: number;
  rows: AsyncIterable<TChallengerPredictionChunk> | Iterable<TChallengerPredictionChunk>;
}): Promise<TReplaceRunPredictionsResult> {
  const { runKey } = options;
  return replaceRunPartition(options.pool, runKey, {
    parent: CHALLENGER_TABLE,
    columns: CHALLENGER_COLUMNS,
    primaryKey: ['run_key', 'model_version', 'row_index'],
    encode: (onRows) => encodeChallengerCopy(runKey, options.rows, onRows),
  });
}

/** What replaceRunPartition loads: a parent table's columns and the binary COPY stream of the rows. */
type TPartitionLoad = {
  parent: string;
  columns: readonly string[];
  primaryKey: readonly string[];
  encode: (onRows: (count: number) => void) => AsyncIterable<Buffer>;
};

async function replaceRunPartition(
  pool: pg.Pool,
  runKey: number,
  load: TPartitionLoad,
): Promise<TReplaceRunPredictionsResult> {
  assertRunKey(runKey);
  const client = await pool.connect();
  let releaseError: Error | undefined;
  try {
    await client.query('SELECT pg_advisory_lock($1, $2)', [RUN_LOCK_NAMESPACE, runKey]);
    try {
      return await loadAndSwap(client, runKey, load);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1, $2)', [RUN_LOCK_NAMESPACE, runKey]);
    }
  } catch (error) {
    // A COPY that failed midway can leave the connection unusable: do not return it to the pool.
    releaseError = error instanceof Error ? error : new Error(String(error));
    throw error;
  } finally {
    client.release(releaseError);
  }
}

async function loadAndSwap(
  client: pg.PoolClient,
  runKey: number,
  load: TPartitionLoad,
): Promise<TReplaceRunPredictionsResult> {
  const { parent } = load;
  const partition = `${parent}_run_${runKey}`;
  const staging = `${parent}_load_${runKey}_${Date.now().toString(36)}`;
  const id = (name: string) => client.escapeIdentifier(name);

  await dropStagingTables(client, parent, runKey);
  const started = performance.now();
  let rowCount = 0;
  let loaded: number;
  // Create, load and index in one transaction: COPY FREEZE (allowed into a table created in the
  // same transaction) writes rows already frozen, so the index build, ANALYZE and the first
  // readers do not rewrite every page to set hint bits; and a failed load leaves nothing behind.
  await client.query('BEGIN');
  try {
    // LIKE copies columns, types and NOT NULLs; the CHECK lets ATTACH skip its validation scan.
    await client.query(
      `CREATE TABLE ${id(staging)} (LIKE ${id(parent)} INCLUDING DEFAULTS, CHECK (run_key = ${runKey}))`,
    );
    const encoded = Readable.from(load.encode((count) => (rowCount += count)));
    await pipeline(
      encoded,
      client.query(
        copyFrom(
          `COPY ${id(staging)} (${load.columns.join(', ')}) FROM STDIN (FORMAT binary, FREEZE)`,
        ),
      ),
    );
    loaded = performance.now();
    // One sorted index build after the load is several times cheaper than maintaining it per row.
    await client.query("SET LOCAL maintenance_work_mem = '256MB'");
    await client.query(
      `ALTER TABLE ${id(staging)} ADD CONSTRAINT ${id(`${staging}_pkey`)} PRIMARY KEY (${load.primaryKey.join(', ')})`,
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
  try {
    await client.query(`ANALYZE ${id(staging)}`);
    const indexed = performance.now();

    await client.query('BEGIN');
    try {
      await client.query(`DROP TABLE IF EXISTS ${id(partition)}`);
      if (rowCount === 0 && parent !== PARENT_TABLE) {
        // Nothing to keep (a run without challengers): no empty partition per run.
        await client.query(`DROP TABLE ${id(staging)}`);
      } else {
        await client.query(`ALTER TABLE ${id(staging)} RENAME TO ${id(partition)}`);
        await client.query(
          `ALTER INDEX ${id(`${staging}_pkey`)} RENAME TO ${id(`${partition}_pkey`)}`,
        );
        await client.query(
          `ALTER TABLE ${id(parent)} ATTACH PARTITION ${id(partition)} FOR VALUES IN (${runKey})`,
        );
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    }
    const swapped = performance.now();
    return {
      rowCount,
      loadMs: loaded - started,
      indexMs: indexed - loaded,
      swapMs: swapped - indexed,
    };
  } catch (error) {
    await client.query(`DROP TABLE IF EXISTS ${id(staging)}`).catch(() => {});
    throw error;
  }
}

/** Drops staging tables of `runKey` left by a killed load (the caller holds the run's lock). */
async function dropStagingTables(
  client: pg.PoolClient,
  parent: string,
  runKey: number,
): Promise<void> {
  const { rows } = await client.query<{ name: string }>(
    'SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE $1',
    [`${parent}_load_${runKey}_%`],
  );
  for (const { name } of rows)
    await client.query(`DROP TABLE IF EXISTS ${client.escapeIdentifier(name)}`);
}

// --- binary COPY encoding (https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.4)

const COPY_SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
// Postgres timestamps count microseconds from 2000-01-01T00:00:00.
const PG_EPOCH_MS = Date.UTC(2000, 0, 1);
const TWO_32 = 2 ** 32;
const FIELD_COUNT = COLUMNS.length;
// Fixed bytes per tuple: field count (2) + 10 length words (40) + int4 + int4 + int8 + int2 + int2 + float4 + float4 + float4.
const FIXED_TUPLE_BYTES = 2 + 4 * FIELD_COUNT + 4 + 4 + 8 + 2 + 2 + 4 + 4 + 4;

function assertChunk(chunk: TBatchPredictionChunk): number {
  const length = chunk.rowIndex.length;
  const columns = {
    rideId: chunk.rideId,
    pickupMs: chunk.pickupMs,
    pu: chunk.pu,
    do: chunk.do,
    actual: chunk.actual,
    predicted: chunk.predicted,
    ...(chunk.tripDistance ? { tripDistance: chunk.tripDistance } : {}),
    ...(chunk.anomaly ? { anomaly: chunk.anomaly } : {}),
  };
  for (const [name, column] of Object.entries(columns)) {
    if (column.length !== length)
      throw new RangeError(
        `batch prediction chunk: ${name} has ${column.length} values, rowIndex has ${length}`,
      );
  }
  return length;
}

/**
 * A binary COPY stream: the header, each chunk's tuples as `encode` writes them (length 0 = none),
 * then the trailer. `onRows` counts the rows sent.
 */
async function* encodeCopyStream<TChunk>(
  chunks: AsyncIterable<TChunk> | Iterable<TChunk>,
  encode: (chunk: TChunk) => { length: number; bytes: () => Buffer },
  onRows: (count: number) => void,
): AsyncGenerator<Buffer> {
  const header = Buffer.alloc(COPY_SIGNATURE.length + 8);
  COPY_SIGNATURE.copy(header, 0); // then flags (int32 0) and header-extension length (int32 0)
  yield header;
  for await (const chunk of chunks) {
    const { length, bytes } = encode(chunk);
    if (length === 0) continue;
    yield bytes();
    onRows(length);
  }
  const trailer = Buffer.alloc(2);
  trailer.writeInt16BE(-1, 0);
  yield trailer;
}

function encodeCopyBinary(
  runKey: number,
  chunks: TReplaceRunPredictionsOptions['rows'],
  onRows: (count: number) => void,
): AsyncGenerator<Buffer> {
  return encodeCopyStream(
    chunks,
    (chunk) => {
      const length = assertChunk(chunk);
      return { length, bytes: () => encodeChunk(runKey, chunk, length) };
    },
    onRows,
  );
}

function encodeChunk(runKey: number, chunk: TBatchPredictionChunk, length: number): Buffer {
  let textChars = 0;
  for (let i = 0; i < length; i++) textChars += (chunk.rideId[i] as string).length;
  const anomalies = chunk.anomaly;
  if (anomalies) for (let i = 0; i < length; i++) textChars += anomalies[i]?.length ?? 0;
  const distances = chunk.tripDistance;
  // UTF-8 takes at most 3 bytes per UTF-16 code unit; ride ids are ASCII in practice.
  const buffer = Buffer.allocUnsafe(FIXED_TUPLE_BYTES * length + 3 * textChars);
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const { rowIndex, rideId, pickupMs, pu, do: dropoff, actual, predicted } = chunk;
  let offset = 0;
  for (let i = 0; i < length; i++) {
    const pickup = pickupMs[i] as number;
    if (!Number.isFinite(pickup))
      throw new RangeError(`batch prediction row ${rowIndex[i]}: pickup time is missing`);
    const predictedValue = predicted[i] as number;
    if (Number.isNaN(predictedValue))
      throw new RangeError(`batch prediction row ${rowIndex[i]}: predicted duration is NaN`);

    view.setInt16(offset, FIELD_COUNT);
    view.setInt32(offset + 2, 4);
    view.setInt32(offset + 6, runKey);
    view.setInt32(offset + 10, 4);
    view.setInt32(offset + 14, rowIndex[i] as number);
    const textBytes = writeText(buffer, rideId[i] as string, offset + 22);
    view.setInt32(offset + 18, textBytes);
    offset += 22 + textBytes;

    const micros = Math.round((pickup - PG_EPOCH_MS) * 1000);
    const high = Math.floor(micros / TWO_32);
    view.setInt32(offset, 8);
    view.setInt32(offset + 4, high);
    view.setUint32(offset + 8, micros - high * TWO_32);
    view.setInt32(offset + 12, 2);
    view.setInt16(offset + 16, pu[i] as number);
    view.setInt32(offset + 18, 2);
    view.setInt16(offset + 22, dropoff[i] as number);
    offset += 24;

    const actualValue = actual[i] as number;
    if (Number.isNaN(actualValue)) {
      view.setInt32(offset, -1);
      offset += 4;
    } else {
      view.setInt32(offset, 4);
      view.setFloat32(offset + 4, actualValue);
      offset += 8;
    }
    view.setInt32(offset, 4);
    view.setFloat32(offset + 4, predictedValue);
    offset += 8;

    const distance = distances ? (distances[i] as number) : Number.NaN;
    if (Number.isNaN(distance)) {
      view.setInt32(offset, -1);
      offset += 4;
    } else {
      view.setInt32(offset, 4);
      view.setFloat32(offset + 4, distance);
      offset += 8;
    }
    // Most rows have no anomaly: a NULL is 4 bytes, and the COPY stays as fast as before.
    const anomaly = anomalies?.[i];
    if (anomaly == null) {
      view.setInt32(offset, -1);
      offset += 4;
    } else {
      const bytes = writeText(buffer, anomaly, offset + 4);
      view.setInt32(offset, bytes);
      offset += 4 + bytes;
    }
  }
  return buffer.subarray(0, offset);
}

/** Writes `text` as UTF-8 at `offset`, returning the byte count. */
function writeText(buffer: Buffer, text: string, offset: number): number {
  // Ride ids are ASCII: copying char codes is several times faster than Buffer#write per string.
  const length = text.length;
  for (let k = 0; k < length; k++) {
    const code = text.charCodeAt(k);
    if (code > 0x7f) return buffer.write(text, offset, 'utf8');
    buffer[offset + k] = code;
  }
  return length;
}

// Fixed bytes per challenger tuple: field count (2) + 4 length words (16) + int4 + int4 + float4.
const CHALLENGER_FIXED_BYTES = 2 + 16 + 4 + 4 + 4;

function encodeChallengerCopy(
  runKey: number,
  chunks: AsyncIterable<TChallengerPredictionChunk> | Iterable<TChallengerPredictionChunk>,
  onRows: (count: number) => void,
): AsyncGenerator<Buffer> {
  return encodeCopyStream(
    chunks,
    (chunk) => {
      const length = chunk.rowIndex.length;
      if (chunk.predicted.length !== length)
        throw new RangeError(
          `challenger prediction chunk: predicted has ${chunk.predicted.length} values, rowIndex has ${length}`,
        );
      return { length, bytes: () => encodeChallengerChunk(runKey, chunk, length) };
    },
    onRows,
  );
}

function encodeChallengerChunk(
  runKey: number,
  chunk: TChallengerPredictionChunk,
  length: number,
): Buffer {
  const version = Buffer.from(chunk.modelVersion, 'utf8');
  const buffer = Buffer.allocUnsafe((CHALLENGER_FIXED_BYTES + version.length) * length);
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  let offset = 0;
  for (let i = 0; i < length; i++) {
    const predicted = chunk.predicted[i]!;
    if (Number.isNaN(predicted))
      throw new RangeError(
        `challenger ${chunk.modelVersion} row ${chunk.rowIndex[i]}: predicted duration is NaN`,
      );
    view.setInt16(offset, CHALLENGER_COLUMNS.length);
    view.setInt32(offset + 2, 4);
    view.setInt32(offset + 6, runKey);
    view.setInt32(offset + 10, version.length);
    version.copy(buffer, offset + 14);
    offset += 14 + version.length;
    view.setInt32(offset, 4);
    view.setInt32(offset + 4, chunk.rowIndex[i]!);
    view.setInt32(offset + 8, 4);
    view.setFloat32(offset + 12, predicted);
    offset += 16;
  }
  return buffer.subarray(0, offset);
}
