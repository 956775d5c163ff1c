// Challengers a serving process is skipping (table challenger_faults): each stream consumer
// instance reports the challengers it cannot load or score with every lease tick, so the console,
// a different process, can say which challenger is being skipped where and why.
import type { Pool } from 'pg';
import { withTransaction, type TDb } from '../client';
import type { PredictionSource } from '../generated/prisma/enums';

export type TChallengerFault = { modelVersion: string; error: string };

/**
 * Replaces what `instance` reports (its rows are the faults it sees now; none clears them) and
 * refreshes their seen_at, in one transaction.
 */
export async function reportChallengerFaults(
  pool: Pick<Pool, 'connect'>,
  input: { source: PredictionSource; instance: string; faults: readonly TChallengerFault[] },
): Promise<void> {
  await withTransaction(pool, async (client) => {
    await client.query(
      'DELETE FROM challenger_faults WHERE source = $1::"PredictionSource" AND instance = $2',
      [input.source, input.instance],
    );
    for (const fault of input.faults) {
      await client.query(
        `INSERT INTO challenger_faults (source, instance, model_version, error, seen_at)
         VALUES ($1::"PredictionSource", $2, $3, $4, now())`,
        [input.source, input.instance, fault.modelVersion, fault.error],
      );
    }
  });
}

export type TChallengerFaultRow = TChallengerFault & {
  source: PredictionSource;
  instance: string;
  seenAt: Date;
};

/** Faults reported since `since` (older rows belong to processes that stopped reporting), newest first. */
export async function listRecentChallengerFaults(
  db: TDb,
  options: { since: Date },
): Promise<TChallengerFaultRow[]> {
  return db.challengerFault.findMany({
    where: { seenAt: { gte: options.since } },
    select: { source: true, instance: true, modelVersion: true, error: true, seenAt: true },
    orderBy: [{ seenAt: 'desc' }],
  });
}
