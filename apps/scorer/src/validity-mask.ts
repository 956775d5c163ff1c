// DuckDB's validity mask, as the binding copies it in and out: one bit per row (1 = valid), in
// 64-bit little-endian words. The one home for that layout (vector-function.ts, column-appender.ts).
import duckdb from '@duckdb/node-bindings';

/** A mask of `rows` rows, all valid. */
export function createValidityMask(rows: number): Uint8Array {
  return new Uint8Array(Math.ceil(rows / 64) * 8).fill(0xff);
}

export function markNull(mask: Uint8Array, row: number): void {
  mask[row >> 3]! &= ~(1 << (row & 7));
}

/** Makes `vector`'s validity writable and copies `mask` into it. */
export function writeValidityMask(vector: duckdb.Vector, mask: Uint8Array): void {
  duckdb.vector_ensure_validity_writable(vector);
  duckdb.copy_data_to_vector_validity(
    vector,
    0,
    mask.buffer as ArrayBuffer,
    mask.byteOffset,
    mask.byteLength,
  );
}
