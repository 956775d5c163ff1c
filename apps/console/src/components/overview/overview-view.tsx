'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { FirstRunHelp } from '~/components/first-run-help';
import { PageHeader } from '~/components/page-header';
import { RunsTable } from '~/components/runs/runs-table';
import { Badge } from '~/components/ui/badge';
import { Card, CardBody, CardHeader, Stat } from '~/components/ui/card';
import { EmptyState, ErrorState, LoadingRows, Skeleton } from '~/components/ui/states';
import { formatCount, formatDateTime, formatMs, formatRelative } from '~/lib/format';
import { useTRPC } from '~/trpc/react';
import { ModelHealthCard } from '~/components/monitoring/model-health-card';
import { ActivityChart } from './activity-chart';

/** The card's headline error: validation RMSE when the model was evaluated on a held-out month, else training RMSE. */
function readCardRmse(card: unknown): { rmse: number; on: 'validation' | 'train' } | null {
  const metrics = (card as { metrics?: Record<string, { rmse?: unknown } | undefined> } | null)
    ?.metrics;
  for (const on of ['validation', 'train'] as const) {
    const rmse = metrics?.[on]?.rmse;
    if (typeof rmse === 'number') return { rmse, on };
  }
  return null;
}

export function OverviewView() {
  const trpc = useTRPC();
  const overview = useQuery({ ...trpc.overview.get.queryOptions(), refetchInterval: 5_000 });

  if (overview.isPending) {
    return (
      <>
        <PageHeader title="Overview" description="The three deployment modes at a glance." />
        <div className="grid grid-cols-4 gap-4">
          {[0, 1, 2, 3].map((i) => (
            <Skeleton key={i} className="h-28" />
          ))}
        </div>
        <div className="mt-6">
          <LoadingRows rows={5} />
        </div>
      </>
    );
  }
  if (overview.isError) {
    return (
      <>
        <PageHeader title="Overview" />
        <ErrorState error={overview.error} onRetry={() => void overview.refetch()} />
      </>
    );
  }

  const { runs, activity, series, checkpoints, leases, production, modelName } = overview.data;
  const lastCheckpoint = checkpoints.reduce<Date | null>(
    (acc, c) => (!acc || c.updatedAt > acc ? c.updatedAt : acc),
    null,
  );
  const rmse = production ? readCardRmse(production.card) : null;

  return (
    <>
      <PageHeader
        title="Overview"
        description={`The three deployment modes at a glance · model ${modelName}`}
      />
      <div className="grid grid-cols-2 gap-4 xl:grid-cols-4">
        <Card>
          <CardBody>
            <div className="mb-3 flex items-center justify-between">
              <span className="text-sm font-semibold">Production model</span>
              <Link href="/models" className="text-xs text-primary hover:underline">
                Manage
              </Link>
            </div>
            {production ? (
              <>
                {/* One line, cut with an ellipsis: a version is an identifier, never wrapped mid-token. */}
                <div
                  className="truncate font-mono text-lg font-semibold"
                  title={production.version}
                  data-testid="production-version"
                >
                  {production.version}
                </div>
                <div className="mt-1 text-xs text-muted-foreground">
                  promoted {formatRelative(production.promotedAt)}{' '}
                  {production.promotedBy ? `by ${production.promotedBy}` : ''}
                </div>
                <div className="mt-1 text-xs text-muted-foreground">
                  {rmse ? `${rmse.on} RMSE ${rmse.rmse.toFixed(2)} min` : 'no metrics on the card'}
                </div>
              </>
            ) : (
              <p className="text-sm text-muted-foreground">
                No model in production yet. The local stack trains one on first start.
              </p>
            )}
          </CardBody>
        </Card>
        <Card>
          <CardBody className="space-y-3">
            <div className="text-sm font-semibold">Online</div>
            <div className="grid grid-cols-2 gap-3">
              <Stat
                label="req / min"
                value={activity.online.perMinute.toFixed(1)}
                hint={`last ${activity.windowMinutes} min`}
              />
              <Stat
                label="p50 / p95"
                value={<span className="text-base">{formatMs(activity.online.p50LatencyMs)}</span>}
                hint={formatMs(activity.online.p95LatencyMs)}
              />
            </div>
            <div className="text-xs text-muted-foreground">
              last request {formatRelative(activity.online.lastAt)}
            </div>
          </CardBody>
        </Card>
        <Card>
          <CardBody className="space-y-3">
            <div className="text-sm font-semibold">Stream</div>
            <div className="grid grid-cols-2 gap-3">
              <Stat
                label="events / min"
                value={activity.stream.perMinute.toFixed(1)}
                hint={`last ${activity.windowMinutes} min · ${formatCount(activity.stream.rejected)} rejected`}
              />
              <Stat
                label="checkpoint"
                value={
                  <span className="text-base">
                    {lastCheckpoint ? formatRelative(lastCheckpoint) : '—'}
                  </span>
                }
                hint={
                  <span data-testid="shards-leased">
                    {leases.total === 0
                      ? 'no consumer yet'
                      : `${leases.held} of ${leases.total} shard${leases.total === 1 ? '' : 's'} leased`}
                  </span>
                }
              />
            </div>
            <div className="text-xs text-muted-foreground">
              last event scored {formatRelative(activity.stream.lastAt)}
            </div>
          </CardBody>
        </Card>
        <Card>
          <CardBody className="space-y-3">
            <div className="text-sm font-semibold">Batch</div>
            {runs[0] ? (
              <>
                <Stat
                  label="last run"
                  value={
                    <span className="text-base">{`${runs[0].taxiType} ${runs[0].year}-${String(runs[0].month).padStart(2, '0')}`}</span>
                  }
                />
                <div className="flex items-center gap-2 text-xs text-muted-foreground">
                  <Badge
                    tone={
                      runs[0].status === 'succeeded'
                        ? 'success'
                        : runs[0].status === 'failed'
                          ? 'danger'
                          : 'info'
                    }
                  >
                    {runs[0].status}
                  </Badge>
                  {formatCount(runs[0].rowsScored)} scored ·{' '}
                  {formatDateTime(runs[0].finishedAt ?? runs[0].createdAt)}
                </div>
              </>
            ) : (
              <p className="text-sm text-muted-foreground">No runs yet.</p>
            )}
          </CardBody>
        </Card>
      </div>

      <div className="mt-6">
        <ModelHealthCard />
      </div>

      <Card className="mt-6">
        <CardHeader
          title="Predictions per minute"
          description="Online requests and stream events scored in the last hour"
        />
        <CardBody>
          {series.some((p) => p.online + p.stream > 0) ? (
            <ActivityChart series={series} />
          ) : (
            <EmptyState title="No online or stream predictions in the last hour">
              Try a{' '}
              <Link className="text-primary underline" href="/predict">
                live prediction
              </Link>
              , call <code>POST /api/v1/predict</code>, or put ride events on the input stream.
            </EmptyState>
          )}
        </CardBody>
      </Card>

      <Card className="mt-6">
        <CardHeader
          title="Recent batch runs"
          action={
            <Link href="/runs" className="text-xs text-primary hover:underline">
              All runs
            </Link>
          }
        />
        <CardBody>
          {runs.length > 0 ? <RunsTable runs={runs} isCompact /> : <FirstRunHelp />}
        </CardBody>
      </Card>
    </>
  );
}
