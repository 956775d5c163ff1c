import { insertHistoryBatch } from '@tripcast/db/queries/history';
import type { TSqlClient } from '@tripcast/db/queries/history';
import type { THistoryRow, TInsertHistoryBatch } from './history-writer';

/**
 * The history writer's sink: ONE `INSERT ... SELECT FROM unnest(...) ON CONFLICT (source,
 * idempotency_key) DO NOTHING` per flush (@tripcast/db's `insertHistoryBatch`: one array parameter
 * per column, so the statement does not grow with the batch). Returns rows actually inserted.
 */
export function createHistoryInserter(sql: TSqlClient): TInsertHistoryBatch {
  return async (rows: readonly THistoryRow[]) => {
    const { inserted } = await insertHistoryBatch(
      sql,
      rows.map((row) => ({ source: 'online' as const, status: 'scored' as const, ...row })),
    );
    return inserted;
  };
}
