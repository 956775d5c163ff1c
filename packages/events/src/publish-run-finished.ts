import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { TSqlClient } from '@tripcast/db/queries/history';
import { createWebhookDelivery, recordWebhookDeliveryAttempt } from '@tripcast/db/queries/webhook-deliveries';
import { putRunFinishedEvent } from './eventbridge';
import { buildRunFinishedEnvelope } from './run-finished';
import type { TRunFinishedDetail } from './run-finished';
import { deliverWebhook } from './webhook';

export type TRunEventsConfig = {
  /** RUN_EVENTS_BUS_NAME: put the event on this bus. */
  eventBridge?: { client: EventBridgeClient; busName: string } | null;
  /** RUN_WEBHOOK_URL + RUN_WEBHOOK_SECRET: POST the signed event there. */
  webhook?: {
    url: string;
    secret: string;
    maxAttempts?: number;
    baseDelayMs?: number;
    timeoutMs?: number;
  } | null;
  /** Where deliveries are recorded (webhook_deliveries); null = log only (a run without a database). */
  sql?: TSqlClient | null;
  log: (level: 'info' | 'warn', message: string, fields?: Record<string, unknown>) => void;
  /** Test hook for the backoff waits. */
  sleep?: (ms: number) => Promise<void>;
};

export type TPublishOutcome = { target: 'webhook' | 'eventbridge'; isDelivered: boolean; attempts: number; error?: string };

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Tells other applications that a run finished (succeeded or failed): an EventBridge event and/or
 * a signed webhook, whichever is configured, each recorded in webhook_deliveries with every
 * attempt. NEVER throws and never fails the run: a target that is down, or a database that cannot
 * record the delivery, is logged and recorded where possible. Both targets go out concurrently.
 */
export async function publishRunFinished(config: TRunEventsConfig, detail: TRunFinishedDetail): Promise<TPublishOutcome[]> {
  const envelope = buildRunFinishedEnvelope(detail);
  const body = JSON.stringify(envelope);
  const sql = config.sql ?? null;

  /** Records a delivery row; a failure to record is logged, and delivery goes ahead without a row. */
  async function startDelivery(target: 'webhook' | 'eventbridge', destination: string): Promise<string | null> {
    if (!sql) return null;
    try {
      return (await createWebhookDelivery(sql, { runId: detail.runId, target, destination, payload: envelope })).id;
    } catch (error) {
      config.log('warn', 'could not record the run event delivery', { runId: detail.runId, target, error: errorText(error) });
      return null;
    }
  }
  async function recordAttempt(id: string | null, attempt: Parameters<typeof recordWebhookDeliveryAttempt>[1]) {
    if (!sql || !id) return;
    await recordWebhookDeliveryAttempt(sql, attempt).catch((error: unknown) =>
      config.log('warn', 'could not record a run event delivery attempt', { runId: detail.runId, error: errorText(error) }),
    );
  }

  const tasks: Promise<TPublishOutcome>[] = [];
  const eventBridge = config.eventBridge;
  if (eventBridge) {
    tasks.push(
      (async (): Promise<TPublishOutcome> => {
        const id = await startDelivery('eventbridge', eventBridge.busName);
        try {
          const eventId = await putRunFinishedEvent({ client: eventBridge.client, busName: eventBridge.busName, detail });
          await recordAttempt(id, { id: id ?? '', status: 'delivered' });
          config.log('info', 'run event put on EventBridge', { runId: detail.runId, bus: eventBridge.busName, eventId });
          return { target: 'eventbridge', isDelivered: true, attempts: 1 };
        } catch (error) {
          // The SDK already retried throttling and network errors (its standard retry strategy).
          await recordAttempt(id, { id: id ?? '', status: 'failed', error: errorText(error) });
          config.log('warn', 'run event NOT put on EventBridge (the run itself is unaffected)', { runId: detail.runId, bus: eventBridge.busName, error: errorText(error) });
          return { target: 'eventbridge', isDelivered: false, attempts: 1, error: errorText(error) };
        }
      })(),
    );
  }
  const webhook = config.webhook;
  if (webhook) {
    tasks.push(
      (async (): Promise<TPublishOutcome> => {
        const id = await startDelivery('webhook', webhook.url);
        const result = await deliverWebhook({
          url: webhook.url,
          secret: webhook.secret,
          body,
          // A receiver can de-duplicate on it; without a database row, the run id and time.
          deliveryId: id ?? `${detail.runId}@${detail.finishedAt}`,
          maxAttempts: webhook.maxAttempts,
          baseDelayMs: webhook.baseDelayMs,
          timeoutMs: webhook.timeoutMs,
          sleep: config.sleep,
          onAttempt: async (attempt) => {
            await recordAttempt(id, { id: id ?? '', status: attempt.status, statusCode: attempt.statusCode ?? null, error: attempt.error ?? null });
            if (attempt.status !== 'delivered') {
              config.log('warn', `run webhook attempt ${attempt.attempt} failed${attempt.status === 'pending' ? ', will retry' : ', giving up (the run itself is unaffected)'}`, {
                runId: detail.runId,
                error: attempt.error,
              });
            }
          },
        });
        if (result.isDelivered) config.log('info', 'run webhook delivered', { runId: detail.runId, attempts: result.attempts });
        return { target: 'webhook', isDelivered: result.isDelivered, attempts: result.attempts, ...(result.lastError ? { error: result.lastError } : {}) };
      })(),
    );
  }
  return Promise.all(tasks);
}
