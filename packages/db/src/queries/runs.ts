// Batch runs: what the console lists and shows, and the lifecycle writes the scorer makes.
import type { Prisma, TDb } from '../client';
import type { RunStatus, RunTrigger, TaxiType } from '../generated/prisma/enums';

export const BATCH_RUN_LIST_SELECT = {
  id: true,
  key: true,
  taxiType: true,
  year: true,
  month: true,
  trigger: true,
  status: true,
  progress: true,
  rowsRead: true,
  rowsScored: true,
  rowsRejected: true,
  modelName: true,
  modelVersion: true,
  error: true,
  backfillId: true,
  createdAt: true,
  startedAt: true,
  finishedAt: true,
} as const satisfies Prisma.BatchRunSelect;

export const BATCH_RUN_DETAIL_SELECT = {
  ...BATCH_RUN_LIST_SELECT,
  inputUri: true,
  outputUri: true,
  rejectsUri: true,
  summary: true,
  requestedBy: true,
  heartbeatAt: true,
} as const satisfies Prisma.BatchRunSelect;

export type TBatchRunListItem = Prisma.BatchRunGetPayload<{ select: typeof BATCH_RUN_LIST_SELECT }>;
export type TBatchRunDetail = Prisma.BatchRunGetPayload<{ select: typeof BATCH_RUN_DETAIL_SELECT }>;
export type TPage<T, C = string> = { items: T[]; nextCursor: C | null };

export type TListBatchRunsOptions = {
  limit: number;
  /** `id` of the last run of the previous page. */
  cursor?: string | null;
  status?: RunStatus;
  taxiType?: TaxiType;
  backfillId?: string;
  /** The scored month (both, or year alone). */
  year?: number;
  month?: number;
};

/** Newest first, keyset-paged. */
export async function listBatchRuns(
  db: TDb,
  { limit, cursor, status, taxiType, backfillId, year, month }: TListBatchRunsOptions,
): Promise<TPage<TBatchRunListItem>> {
  const rows = await db.batchRun.findMany({
    select: BATCH_RUN_LIST_SELECT,
    where: { status, taxiType, backfillId, year, month },
    orderBy: [{ createdAt: 'desc' }, { key: 'desc' }],
    take: limit + 1,
    ...(cursor ? { cursor: { id: cursor }, skip: 1 } : {}),
  });
  const hasMore = rows.length > limit;
  const items = hasMore ? rows.slice(0, limit) : rows;
  return { items, nextCursor: hasMore ? (items.at(-1)?.id ?? null) : null };
}

export async function getBatchRun(db: TDb, id: string): Promise<TBatchRunDetail | null> {
  return db.batchRun.findUnique({ where: { id }, select: BATCH_RUN_DETAIL_SELECT });
}

export type TCreateBatchRunInput = {
  id?: string;
  taxiType: TaxiType;
  year: number;
  month: number;
  inputUri: string;
  outputUri?: string | null;
  rejectsUri?: string | null;
  trigger: RunTrigger;
  requestedBy?: string | null;
  backfillId?: string | null;
};

/** Records a queued run; returns its public id and the integer key its predictions use. */
export async function createBatchRun(
  db: TDb,
  input: TCreateBatchRunInput,
): Promise<{ id: string; key: number }> {
  return db.batchRun.create({ data: input, select: { id: true, key: true } });
}

export async function startBatchRun(
  db: TDb,
  { id, modelName, modelVersion }: { id: string; modelName: string; modelVersion: string },
): Promise<void> {
  const now = new Date();
  await db.batchRun.update({
    where: { id },
    data: {
      status: 'running',
      modelName,
      modelVersion,
      startedAt: now,
      heartbeatAt: now,
      finishedAt: null,
      error: null,
      progress: 0,
    },
    select: { id: true },
  });
}

export type TBatchRunProgress = {
  progress: number;
  rowsRead: number;
  rowsScored: number;
  rowsRejected: number;
};

/** Progress and heartbeat in one write (the scorer calls it every few seconds). */
export async function updateBatchRunProgress(
  db: TDb,
  id: string,
  progress: TBatchRunProgress,
): Promise<void> {
  await db.batchRun.update({
    where: { id },
    data: { ...progress, heartbeatAt: new Date() },
    select: { id: true },
  });
}

export type TFinishBatchRunInput = {
  id: string;
  status: Extract<RunStatus, 'succeeded' | 'failed'>;
  summary?: Prisma.InputJsonValue;
  error?: string | null;
  outputUri?: string | null;
  rejectsUri?: string | null;
};

export async function finishBatchRun(
  db: TDb,
  { id, status, summary, error, outputUri, rejectsUri }: TFinishBatchRunInput,
): Promise<void> {
  await db.batchRun.update({
    where: { id },
    data: {
      status,
      summary,
      error: error ?? null,
      outputUri,
      rejectsUri,
      finishedAt: new Date(),
      ...(status === 'succeeded' ? { progress: 1 } : {}),
    },
    select: { id: true },
  });
}

/** Runs marked running whose heartbeat stopped before `staleBefore` (their process died). */
export async function listStaleBatchRuns(
  db: TDb,
  { staleBefore }: { staleBefore: Date },
): Promise<Pick<TBatchRunListItem, 'id' | 'key' | 'taxiType' | 'year' | 'month'>[]> {
  return db.batchRun.findMany({
    select: { id: true, key: true, taxiType: true, year: true, month: true },
    where: { status: 'running', OR: [{ heartbeatAt: { lt: staleBefore } }, { heartbeatAt: null }] },
    orderBy: { heartbeatAt: 'asc' },
  });
}
