'use client';

// The Overview's status per serving model version: ok / watch / alert with the reasons (latest
// drift per source, latest month's error against the card's validation RMSE).
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { Badge } from '~/components/ui/badge';
import { Card, CardBody, CardHeader } from '~/components/ui/card';
import { ErrorState, LoadingRows } from '~/components/ui/states';
import { useTRPC } from '~/trpc/react';
import { STATUS_TONE } from './monitoring-view';

export function ModelHealthCard() {
  const trpc = useTRPC();
  const status = useQuery({ ...trpc.monitoring.status.queryOptions(), refetchInterval: 30_000 });
  return (
    <Card data-testid="model-health">
      <CardHeader
        title="Model health"
        description="Drift against the training reference and error by month, per serving version"
        action={
          <Link href="/monitoring" className="text-xs text-primary hover:underline">
            Monitoring
          </Link>
        }
      />
      <CardBody>
        {status.isPending ? (
          <LoadingRows rows={2} />
        ) : status.isError ? (
          <ErrorState error={status.error} onRetry={() => void status.refetch()} />
        ) : status.data.versions.length === 0 ? (
          <p className="text-sm text-muted-foreground">No model in production yet.</p>
        ) : (
          <ul className="space-y-3">
            {status.data.versions.map((v) => (
              <li
                key={v.version}
                data-testid="model-health-row"
                data-status={v.status}
                className="text-sm"
              >
                <div className="flex items-center gap-2">
                  <Badge tone={STATUS_TONE[v.status]}>{v.status}</Badge>
                  <span className="truncate font-mono" title={v.version}>
                    {v.version}
                  </span>
                  <span className="text-xs text-muted-foreground">{v.stage}</span>
                </div>
                {v.reasons.length > 0 && (
                  <ul className="mt-1 list-disc space-y-0.5 pl-5 text-xs text-foreground/80">
                    {v.reasons.map((r) => (
                      <li key={r}>{r}</li>
                    ))}
                  </ul>
                )}
              </li>
            ))}
          </ul>
        )}
      </CardBody>
    </Card>
  );
}
