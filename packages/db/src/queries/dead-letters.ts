// Inputs that could not be scored, kept with their raw payload and reason.
import type { Prisma, TDb } from '../client';
import type { TPage } from './runs';

export const DEAD_LETTER_SELECT = {
  id: true,
  source: true,
  streamName: true,
  shardId: true,
  sequenceNumber: true,
  payload: true,
  reason: true,
  createdAt: true,
} as const satisfies Prisma.DeadLetterSelect;

export type TDeadLetterRow = Prisma.DeadLetterGetPayload<{ select: typeof DEAD_LETTER_SELECT }>;

export type TDeadLetterInput = {
  source: string;
  streamName?: string | null;
  shardId?: string | null;
  sequenceNumber?: string | null;
  payload: string;
  reason: string;
};

/**
 * Keeps each input aside once: a redelivered stream record (same source, stream, shard and
 * sequence number) is not stored twice. Returns how many were new.
 */
export async function recordDeadLetters(db: TDb, letters: TDeadLetterInput[]): Promise<number> {
  if (letters.length === 0) return 0;
  const { count } = await db.deadLetter.createMany({ data: letters, skipDuplicates: true });
  return count;
}

/** Newest first; `cursor` is the id (as a string) of the last letter of the previous page. */
export async function listDeadLetters(
  db: TDb,
  { limit, cursor, source }: { limit: number; cursor?: string | null; source?: string },
): Promise<TPage<TDeadLetterRow>> {
  const rows = await db.deadLetter.findMany({
    select: DEAD_LETTER_SELECT,
    where: { source },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: limit + 1,
    ...(cursor ? { cursor: { id: BigInt(cursor) }, skip: 1 } : {}),
  });
  const hasMore = rows.length > limit;
  const items = hasMore ? rows.slice(0, limit) : rows;
  return { items, nextCursor: hasMore ? String(items.at(-1)?.id) : null };
}
