import { recordDeadLetters } from '@tripcast/db/queries/dead-letters';
import { writeHistoryBatch } from '@tripcast/db/queries/history';
import type { Pool } from 'pg';

import type { TDeadLetterWriter, THistoryWriter } from '../core/types';

/**
 * The handler core's two Postgres sinks, both through @tripcast/db (the one home of history and
 * dead-letter SQL; raw pg, no Prisma client on the hot path):
 * - history: `writeHistoryBatch`, one statement per batch, ON CONFLICT (source, idempotency_key)
 *   DO NOTHING, so a redelivered record is a no-op; a row Postgres refuses for its data is split
 *   out and dead-lettered there instead of failing the batch (which would block the shard);
 * - dead letters: `recordDeadLetters`, raw bytes as bytea, idempotent on the record's position.
 */
export function createPgSinks(pool: Pool): { history: THistoryWriter; deadLetters: TDeadLetterWriter } {
  return {
    history: {
      async insertStreamHistory(rows) {
        const { refused } = await writeHistoryBatch(
          pool,
          rows.map((row) => ({ source: 'stream', ...row })),
        );
        return { refused: refused.length };
      },
    },
    deadLetters: {
      async insertDeadLetters(rows) {
        await recordDeadLetters(
          pool,
          rows.map((row) => ({ source: 'stream', ...row })),
        );
      },
    },
  };
}
