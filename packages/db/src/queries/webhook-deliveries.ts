// Deliveries of "batch run finished" events (signed webhook, EventBridge): one row per event and
// target, updated after every attempt. Written by @tripcast/events (called by the scorer), read by
// the console's run page. The writes take a pg pool (the scorer has no Prisma client).
import type { Prisma, TDb } from '../client';
import type { TSqlClient } from './history';
import type { RunEventDeliveryStatus, RunEventTarget } from '../generated/prisma/enums';

const WEBHOOK_DELIVERY_SELECT = {
  id: true,
  runId: true,
  target: true,
  destination: true,
  status: true,
  attempts: true,
  lastStatusCode: true,
  lastError: true,
  createdAt: true,
  lastAttemptAt: true,
  deliveredAt: true,
} as const satisfies Prisma.WebhookDeliverySelect;

export type TWebhookDeliveryRow = Prisma.WebhookDeliveryGetPayload<{ select: typeof WEBHOOK_DELIVERY_SELECT }>;
export type TRunEventTarget = RunEventTarget;
export type TRunEventDeliveryStatus = RunEventDeliveryStatus;

/** Records a delivery about to be attempted; returns its id (also sent as X-Tripcast-Delivery). */
export async function createWebhookDelivery(
  sql: TSqlClient,
  input: { runId: string; target: TRunEventTarget; destination: string; payload: unknown },
): Promise<{ id: string }> {
  const { rows } = await sql.query<{ id: string }>(
    `INSERT INTO webhook_deliveries (id, run_id, target, destination, payload)
     VALUES (gen_random_uuid(), $1, $2::"RunEventTarget", $3, $4::jsonb) RETURNING id`,
    [input.runId, input.target, input.destination, JSON.stringify(input.payload)],
  );
  return { id: rows[0]!.id };
}

export type TDeliveryAttempt = {
  id: string;
  /** delivered, pending (will retry) or failed (gave up). */
  status: TRunEventDeliveryStatus;
  statusCode?: number | null;
  error?: string | null;
};

/** One attempt: bumps the count and keeps its outcome (the last error stays until a success). */
export async function recordWebhookDeliveryAttempt(
  sql: TSqlClient,
  { id, status, statusCode, error }: TDeliveryAttempt,
): Promise<void> {
  await sql.query(
    `UPDATE webhook_deliveries
        SET status = $2::"RunEventDeliveryStatus", attempts = attempts + 1, last_status_code = $3, last_error = $4,
            last_attempt_at = now(), delivered_at = CASE WHEN $2::text = 'delivered' THEN now() ELSE delivered_at END
      WHERE id = $1`,
    [id, status, statusCode ?? null, error ?? null],
  );
}

/** Newest first; one run's deliveries, or all of them (the admin's view), keyset-paged by id. */
export async function listWebhookDeliveries(
  db: TDb,
  { runId, limit }: { runId?: string; limit: number },
): Promise<TWebhookDeliveryRow[]> {
  return db.webhookDelivery.findMany({
    select: WEBHOOK_DELIVERY_SELECT,
    where: { runId },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: limit,
  });
}
