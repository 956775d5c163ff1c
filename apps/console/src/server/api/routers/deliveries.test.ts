import { TRPCError } from '@trpc/server';
import { createPgPool } from '@tripcast/db/client';
import { createWebhookDelivery, recordWebhookDeliveryAttempt } from '@tripcast/db/queries/webhook-deliveries';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestConsole, type TTestConsole } from '../../testing/context';

describe('deliveries router', () => {
  let t: TTestConsole;
  let viewer: TTestConsole;
  beforeAll(async () => {
    t = await createTestConsole({ user: { id: 'a', email: 'ana@example.com', name: 'Ana', role: 'analyst' } });
    viewer = await createTestConsole({ user: { id: 'v', email: 'vic@example.com', name: 'Vic', role: 'viewer' } });
  });
  afterAll(async () => {
    await t.close();
    await viewer.close();
  });

  it("lists a run's deliveries as the scorer recorded them: status, attempts, last answer and error", async () => {
    // What @tripcast/events writes for a webhook retried after a 500, and an EventBridge put that failed.
    const pool = createPgPool(t.databaseUrl, { max: 1 });
    try {
      const webhook = await createWebhookDelivery(pool, { runId: 'run-1', target: 'webhook', destination: 'https://hooks.example.com/t', payload: { detail: {} } });
      await recordWebhookDeliveryAttempt(pool, { id: webhook.id, status: 'pending', statusCode: 500, error: 'HTTP 500' });
      await recordWebhookDeliveryAttempt(pool, { id: webhook.id, status: 'delivered', statusCode: 200 });
      const bus = await createWebhookDelivery(pool, { runId: 'run-1', target: 'eventbridge', destination: 'tripcast-dev-events', payload: {} });
      await recordWebhookDeliveryAttempt(pool, { id: bus.id, status: 'failed', error: 'AccessDeniedException' });
      await createWebhookDelivery(pool, { runId: 'run-2', target: 'webhook', destination: 'x', payload: {} });
    } finally {
      await pool.end();
    }
    const rows = await t.caller.deliveries.listForRun({ runId: 'run-1' });
    expect(rows.map((row) => [row.target, row.status, row.attempts, row.lastStatusCode, row.lastError])).toEqual([
      ['eventbridge', 'failed', 1, null, 'AccessDeniedException'],
      ['webhook', 'delivered', 2, 200, null],
    ]);
    expect(rows[1]!.deliveredAt).toBeInstanceOf(Date);
    expect(await t.caller.deliveries.listForRun({ runId: 'no-run' })).toEqual([]);
  });

  it('is refused to viewers (a webhook URL is operator configuration)', async () => {
    await expect(viewer.caller.deliveries.listForRun({ runId: 'run-1' })).rejects.toBeInstanceOf(TRPCError);
  });
});
