// The audit log: who did what to which thing, when.
import type { Pool } from 'pg';
import type { Prisma, TDb } from '../client';
import type { TPage } from './runs';

const AUDIT_LOG_SELECT = {
  id: true,
  actor: true,
  action: true,
  targetType: true,
  targetId: true,
  details: true,
  createdAt: true,
} as const satisfies Prisma.AuditLogSelect;

export type TAuditLogRow = Prisma.AuditLogGetPayload<{ select: typeof AUDIT_LOG_SELECT }>;

export type TRecordAuditInput = {
  actor: string;
  /** `<domain>.<verb>`, e.g. `run.trigger`, `model.promote`. */
  action: string;
  targetType: string;
  targetId?: string | null;
  details?: Prisma.InputJsonValue;
};

export async function recordAudit(
  db: TDb | Prisma.TransactionClient,
  input: TRecordAuditInput,
): Promise<void> {
  await db.auditLog.create({ data: input, select: { id: true } });
}

/**
 * The same row through plain pg, for callers that hold a pool rather than a Prisma client (the
 * scorer's launcher records the backfills it starts).
 */
export async function insertAuditEntry(
  pool: Pick<Pool, 'query'>,
  input: Omit<TRecordAuditInput, 'details'> & { details?: unknown },
): Promise<void> {
  await pool.query(
    'INSERT INTO audit_log (actor, action, target_type, target_id, details) VALUES ($1, $2, $3, $4, $5::jsonb)',
    [input.actor, input.action, input.targetType, input.targetId ?? null, input.details === undefined ? null : JSON.stringify(input.details)],
  );
}

/** Newest first; `cursor` is the id (as a string) of the last entry of the previous page. */
export async function listAuditLog(
  db: TDb,
  {
    limit,
    cursor,
    targetType,
    targetId,
  }: { limit: number; cursor?: string | null; targetType?: string; targetId?: string },
): Promise<TPage<TAuditLogRow>> {
  const rows = await db.auditLog.findMany({
    select: AUDIT_LOG_SELECT,
    where: { targetType, targetId },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: limit + 1,
    ...(cursor ? { cursor: { id: BigInt(cursor) }, skip: 1 } : {}),
  });
  const hasMore = rows.length > limit;
  const items = hasMore ? rows.slice(0, limit) : rows;
  return { items, nextCursor: hasMore ? String(items.at(-1)?.id) : null };
}
