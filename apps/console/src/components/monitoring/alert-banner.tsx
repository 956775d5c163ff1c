'use client';

// Monitoring alerts: the banner every page shows while an alert is open, and the list on the
// Monitoring page. Acknowledging (analysts and admins) is audited on the server.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useHasRole } from '~/components/session';
import { Badge } from '~/components/ui/badge';
import { Button } from '~/components/ui/button';
import { formatRelative } from '~/lib/format';
import type { RouterOutputs } from '~/server/api/root';
import { useTRPC } from '~/trpc/react';

type TAlert = RouterOutputs['monitoring']['openAlerts'][number];

function useAcknowledge() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return useMutation(
    trpc.monitoring.acknowledgeAlert.mutationOptions({
      onSuccess: () => {
        void queryClient.invalidateQueries({ queryKey: trpc.monitoring.pathKey() });
      },
    }),
  );
}

export function AlertBanner() {
  const trpc = useTRPC();
  const open = useQuery({ ...trpc.monitoring.openAlerts.queryOptions(), refetchInterval: 30_000 });
  const acknowledge = useAcknowledge();
  const canAcknowledge = useHasRole('analyst');
  const alerts = open.data ?? [];
  if (alerts.length === 0) return null;
  const newest = alerts[0]!;
  const isAlert = alerts.some((a) => a.severity === 'alert');
  return (
    <div
      role="alert"
      data-testid="alert-banner"
      className={`mb-4 flex items-start justify-between gap-4 rounded-lg border px-4 py-3 text-sm ${isAlert ? 'border-danger/40 bg-danger/5' : 'border-warning/50 bg-warning/10'}`}
    >
      <div className="min-w-0">
        <div className="font-medium">
          {alerts.length === 1
            ? 'One monitoring alert is open'
            : `${alerts.length} monitoring alerts are open`}
        </div>
        <div className="mt-0.5 truncate text-foreground/80" title={newest.message}>
          <Badge tone={newest.severity === 'alert' ? 'danger' : 'warning'} className="mr-2">
            {newest.severity}
          </Badge>
          {newest.message}
        </div>
      </div>
      <div className="flex shrink-0 gap-2">
        <Link
          href="/monitoring"
          className="inline-flex h-8 items-center rounded-md px-3 text-xs font-medium text-primary hover:bg-muted"
        >
          Open monitoring
        </Link>
        {canAcknowledge && (
          <Button
            size="sm"
            variant="secondary"
            isLoading={acknowledge.isPending}
            onClick={() => acknowledge.mutate({ id: newest.id })}
          >
            Acknowledge
          </Button>
        )}
      </div>
    </div>
  );
}

export function AlertList({ alerts }: { alerts: TAlert[] }) {
  const acknowledge = useAcknowledge();
  const canAcknowledge = useHasRole('analyst');
  return (
    <ul className="divide-y divide-border" aria-label="Alerts">
      {alerts.map((a) => (
        <li
          key={a.id}
          className="flex items-start justify-between gap-4 py-2.5 text-sm"
          data-testid="alert-row"
        >
          <div className="min-w-0">
            <Badge tone={a.severity === 'alert' ? 'danger' : 'warning'} className="mr-2">
              {a.severity}
            </Badge>
            <span className="break-words">{a.message}</span>
            <div className="mt-0.5 text-xs text-muted-foreground">
              raised {formatRelative(a.createdAt)}
              {a.acknowledgedAt
                ? ` · acknowledged ${formatRelative(a.acknowledgedAt)} by ${a.acknowledgedBy ?? '?'}`
                : ''}
            </div>
          </div>
          {!a.acknowledgedAt && canAcknowledge && (
            <Button
              size="sm"
              variant="secondary"
              className="shrink-0"
              isLoading={acknowledge.isPending && acknowledge.variables?.id === a.id}
              onClick={() => acknowledge.mutate({ id: a.id })}
            >
              Acknowledge
            </Button>
          )}
        </li>
      ))}
    </ul>
  );
}
