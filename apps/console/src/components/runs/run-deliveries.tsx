'use client';

import { useQuery } from '@tanstack/react-query';
import { useHasRole } from '~/components/session';
import { Badge, type TBadgeTone } from '~/components/ui/badge';
import { Card, CardBody, CardHeader } from '~/components/ui/card';
import { Code, EmptyState, ErrorState, LoadingRows } from '~/components/ui/states';
import { Table, Td, Th } from '~/components/ui/table';
import { formatDateTime, formatRelative } from '~/lib/format';
import { useTRPC } from '~/trpc/react';

const STATUS_TONE: Record<string, TBadgeTone> = { delivered: 'success', pending: 'warning', failed: 'danger' };
const TARGET_LABEL: Record<string, string> = { webhook: 'Webhook', eventbridge: 'EventBridge' };

/**
 * "Told when a month is ready": the run-finished events the scorer sent for this run (signed
 * webhook, EventBridge) with their attempts and last error. Analysts and up (a webhook URL is
 * operator configuration); polls while a delivery is still being retried.
 */
export function RunDeliveries({ runId }: { runId: string }) {
  const canSee = useHasRole('analyst');
  if (!canSee) return null;
  return <RunDeliveriesCard runId={runId} />;
}

function RunDeliveriesCard({ runId }: { runId: string }) {
  const trpc = useTRPC();
  const deliveries = useQuery({
    ...trpc.deliveries.listForRun.queryOptions({ runId }),
    refetchInterval: (q) => (q.state.data?.some((d) => d.status === 'pending') ? 2_000 : false),
  });
  return (
    <Card className="mt-6" data-testid="run-deliveries">
      <CardHeader
        title="Run-finished notifications"
        description="Events the scorer sent when this run finished: a signed webhook (RUN_WEBHOOK_URL) and an EventBridge event (RUN_EVENTS_BUS_NAME). A run never fails because a target is down."
      />
      <CardBody>
        {deliveries.isPending ? (
          <LoadingRows />
        ) : deliveries.isError ? (
          <ErrorState error={deliveries.error} onRetry={() => void deliveries.refetch()} />
        ) : deliveries.data.length === 0 ? (
          <EmptyState title="No notifications sent">
            The scorer sends one when <Code>RUN_WEBHOOK_URL</Code> and <Code>RUN_WEBHOOK_SECRET</Code>, or{' '}
            <Code>RUN_EVENTS_BUS_NAME</Code>, are set where it runs.
          </EmptyState>
        ) : (
          <Table>
            <thead>
              <tr>
                <Th>Target</Th>
                <Th>Destination</Th>
                <Th>Status</Th>
                <Th className="text-right">Attempts</Th>
                <Th>Last attempt</Th>
                <Th>Last error</Th>
              </tr>
            </thead>
            <tbody>
              {deliveries.data.map((delivery) => (
                <tr key={delivery.id}>
                  <Td>{TARGET_LABEL[delivery.target] ?? delivery.target}</Td>
                  <Td>
                    {/* Long URLs and AWS errors wrap inside their cell (Td does not wrap by default). */}
                    <div className="max-w-64 font-mono text-xs break-all whitespace-normal">{delivery.destination}</div>
                  </Td>
                  <Td>
                    <Badge tone={STATUS_TONE[delivery.status] ?? 'neutral'}>
                      {delivery.status === 'pending' ? 'retrying' : delivery.status}
                    </Badge>
                  </Td>
                  <Td className="text-right tabular-nums">{delivery.attempts}</Td>
                  <Td className="text-muted-foreground" title={formatDateTime(delivery.lastAttemptAt)}>
                    {delivery.lastAttemptAt ? formatRelative(delivery.lastAttemptAt) : 'not yet'}
                    {delivery.lastStatusCode !== null && <> · HTTP {delivery.lastStatusCode}</>}
                  </Td>
                  <Td>
                    <div className="max-w-72 text-xs break-words whitespace-normal text-danger">{delivery.lastError ?? ''}</div>
                  </Td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}
      </CardBody>
    </Card>
  );
}
