import { writeHistoryBatch } from '@tripcast/db/queries/history';
import type { TSqlClient } from '@tripcast/db/queries/history';
import type { THistoryRow, TInsertHistoryBatch } from './history-writer';

/**
 * The history writer's sink: ONE `INSERT ... SELECT FROM unnest(...) ON CONFLICT (source,
 * idempotency_key) DO NOTHING` per flush through @tripcast/db's `writeHistoryBatch` (one array
 * parameter per column; a batch Postgres refuses for its data is split so only the refused rows
 * go to dead_letters). Returns rows inserted and refused.
 */
export function createHistoryInserter(sql: TSqlClient): TInsertHistoryBatch {
  return async (rows: readonly THistoryRow[]) => {
    const { inserted, refused } = await writeHistoryBatch(sql, rows);
    return { inserted, refused: refused.length };
  };
}
