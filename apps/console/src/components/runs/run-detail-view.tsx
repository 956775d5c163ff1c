'use client';

import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useHasRole } from '~/components/session';
import { Button } from '~/components/ui/button';
import { useState } from 'react';
import { PageHeader } from '~/components/page-header';
import { useZoneIndex, ZoneFilter, ZoneLabel } from '~/components/zones';
import { Pager } from '~/components/ui/pager';
import { Card, CardBody, CardHeader, Stat } from '~/components/ui/card';
import { Label } from '~/components/ui/form';
import { Code, EmptyState, ErrorState, LoadingRows, Skeleton } from '~/components/ui/states';
import { Table, Td, Th } from '~/components/ui/table';
import {
  formatCount,
  formatDateTime,
  formatDuration,
  formatMiles,
  formatMinutes,
  formatMonth,
  runDurationMs,
} from '~/lib/format';
import { useTRPC } from '~/trpc/react';
import { PredictedVsActual, DurationHistogram } from './run-charts';
import { RunDeliveries } from './run-deliveries';
import { RunModels } from './run-models';
import { isActiveStatus, RunProgress, StatusBadge } from './run-status';

const PAGE_SIZE = 25;

export function RunDetailView({ id }: { id: string }) {
  const trpc = useTRPC();
  const detail = useQuery({
    ...trpc.runs.get.queryOptions({ id }),
    refetchInterval: (q) =>
      q.state.data && isActiveStatus(q.state.data.run.status) ? 1_500 : false,
  });

  if (detail.isPending) {
    return (
      <>
        <Skeleton className="mb-6 h-10 w-72" />
        <div className="grid grid-cols-4 gap-4">
          {[0, 1, 2, 3].map((i) => (
            <Skeleton key={i} className="h-24" />
          ))}
        </div>
      </>
    );
  }
  if (detail.isError && detail.error.data?.code === 'NOT_FOUND') {
    return (
      <div data-testid="not-found">
        <EmptyState
          title="No such batch run"
          action={
            <Link href="/runs" className="text-sm text-primary underline">
              All batch runs
            </Link>
          }
        >
          There is no run <Code>{id}</Code>.
        </EmptyState>
      </div>
    );
  }
  if (detail.isError) {
    return (
      <>
        <PageHeader title="Batch run" />
        <ErrorState error={detail.error} onRetry={() => void detail.refetch()} />
        <Link href="/runs" className="mt-4 inline-block text-sm text-primary underline">
          Back to all runs
        </Link>
      </>
    );
  }

  const { run, scatter, models } = detail.data;
  const summary = run.summary;
  const error = summary?.errorCourseRange ?? summary?.error;
  const rejects = Object.entries(summary?.rejectsByReason ?? {}).sort((a, b) => b[1] - a[1]);
  const isActive = isActiveStatus(run.status);
  const isFailed = run.status === 'failed';
  /** Output files exist only once a run has succeeded: before that, only where they will go. */
  const fileState = isFailed ? 'failed' : isActive ? 'pending' : 'written';

  return (
    <>
      <nav className="mb-2 text-xs text-muted-foreground">
        <Link href="/runs" className="hover:underline">
          Batch runs
        </Link>{' '}
        / {run.id}
      </nav>
      <PageHeader
        title={`${run.taxiType} ${formatMonth(run.year, run.month)}`}
        description={
          <span className="flex items-center gap-2">
            <StatusBadge status={run.status} /> {run.trigger} run · model{' '}
            <span className="font-mono">{run.modelVersion ?? '—'}</span> · started{' '}
            {formatDateTime(run.startedAt ?? run.createdAt)}
            {run.finishedAt && ` · finished ${formatDateTime(run.finishedAt)}`}
            {run.startedAt &&
              ` · ${run.finishedAt ? 'took' : 'running for'} ${formatDuration(runDurationMs(run))}`}
          </span>
        }
      />
      {isActiveStatus(run.status) && (
        <Card className="mb-4">
          <CardBody>
            <RunProgress status={run.status} progress={run.progress} />
          </CardBody>
        </Card>
      )}
      {isFailed && (
        <div
          role="alert"
          className="mb-4 flex items-start justify-between gap-4 rounded-lg border border-danger/30 bg-danger/5 px-4 py-3 text-sm"
        >
          <div className="min-w-0">
            <div className="font-medium text-danger">The run failed</div>
            <pre
              className="mt-1 font-mono text-xs break-words whitespace-pre-wrap"
              data-testid="run-error"
            >
              {run.error ?? 'no error recorded'}
            </pre>
          </div>
          <RetryRunButton
            runId={run.id}
            month={`${run.taxiType} ${formatMonth(run.year, run.month)}`}
          />
        </div>
      )}

      <div className="grid grid-cols-2 gap-4 lg:grid-cols-3 xl:grid-cols-6">
        <Card>
          <CardBody>
            <Stat label="Rows read" value={formatCount(run.rowsRead)} />
          </CardBody>
        </Card>
        <Card>
          <CardBody>
            <Stat label="Scored" value={formatCount(run.rowsScored)} testId="rows-scored" />
          </CardBody>
        </Card>
        <Card>
          <CardBody>
            <Stat label="Rejected" value={formatCount(run.rowsRejected)} />
          </CardBody>
        </Card>
        <Card>
          <CardBody>
            <Stat
              label="Mean predicted"
              value={formatMinutes(summary?.predicted?.mean)}
              hint={`p50 ${formatMinutes(summary?.predicted?.p50)} · p95 ${formatMinutes(summary?.predicted?.p95)}`}
            />
          </CardBody>
        </Card>
        <Card>
          <CardBody>
            <Stat
              label="RMSE"
              value={formatMinutes(error?.rmse, 2)}
              hint={summary?.errorCourseRange ? 'trips of 1–60 min' : 'all trips'}
              testId="run-rmse"
            />
          </CardBody>
        </Card>
        <Card>
          <CardBody>
            <Stat
              label="MAE"
              value={formatMinutes(error?.mae, 2)}
              hint={`${formatCount(error?.count)} trips with a known duration`}
            />
          </CardBody>
        </Card>
      </div>

      <RunModels models={models} />

      <div className="mt-6 grid grid-cols-1 gap-4 xl:grid-cols-2">
        <Card>
          <CardHeader title="Predicted durations" description="Trips per 5-minute bucket" />
          <CardBody>
            {summary && summary.histogram.length > 0 ? (
              <DurationHistogram buckets={summary.histogram} />
            ) : (
              <EmptyState title={isActive ? 'Scoring…' : 'No histogram'}>
                {isActive
                  ? 'The histogram appears when the run has finished.'
                  : isFailed
                    ? 'The run failed before it scored the month: nothing to show.'
                    : 'This run scored no rows.'}
              </EmptyState>
            )}
          </CardBody>
        </Card>
        <Card>
          <CardHeader
            title="Predicted vs actual"
            description={
              scatter.length > 0
                ? `A sample of ${formatCount(scatter.length)} trips; dashed line = perfect prediction`
                : 'Actual vs predicted minutes of a sample of trips'
            }
          />
          <CardBody>
            {scatter.length > 0 ? (
              <PredictedVsActual points={scatter} />
            ) : (
              <EmptyState title={isActive ? 'No comparison yet' : 'No comparison'}>
                {isFailed
                  ? 'The run failed: there are no predictions to compare.'
                  : 'Shown for finished runs whose trips have a known duration.'}
              </EmptyState>
            )}
          </CardBody>
        </Card>
      </div>

      <div className="mt-6 grid grid-cols-1 gap-4 xl:grid-cols-[1fr_2fr]">
        <Card>
          <CardHeader
            title="Rejected rows"
            description="Kept aside with their reason, never dropped silently"
          />
          <CardBody>
            {rejects.length === 0 ? (
              <p className="text-sm text-muted-foreground">
                {run.status === 'succeeded'
                  ? 'No rejected rows.'
                  : isFailed
                    ? 'None counted: the run failed.'
                    : 'Counted when the run finishes.'}
              </p>
            ) : (
              <Table>
                <thead>
                  <tr>
                    <Th>Reason</Th>
                    <Th className="text-right">Rows</Th>
                  </tr>
                </thead>
                <tbody>
                  {rejects.map(([reason, count]) => (
                    <tr key={reason}>
                      <Td className="font-mono text-xs">{reason}</Td>
                      <Td className="text-right">{formatCount(count)}</Td>
                    </tr>
                  ))}
                </tbody>
              </Table>
            )}
          </CardBody>
        </Card>
        <Card>
          <CardHeader title="Locations" />
          <CardBody>
            <dl className="grid grid-cols-[7rem_1fr] gap-x-3 gap-y-2 text-sm">
              <dt className="text-muted-foreground">Input</dt>
              <dd className="break-all">
                <Code>{run.inputUri}</Code>
              </dd>
              <dt className="text-muted-foreground">Predictions</dt>
              <dd className="break-all" data-testid="output-uri">
                <PlannedFile uri={run.outputUri} state={fileState} />
              </dd>
              <dt className="text-muted-foreground">Rejects</dt>
              <dd className="break-all" data-testid="rejects-uri">
                <PlannedFile uri={run.rejectsUri} state={fileState} />
              </dd>
              <dt className="text-muted-foreground">Database</dt>
              <dd data-testid="database-rows">
                {isFailed ? (
                  <span className="text-muted-foreground">no rows: the run failed</span>
                ) : (
                  <>
                    <Code>batch_predictions</Code> where <Code>run_key = {run.key}</Code>
                  </>
                )}
              </dd>
            </dl>
          </CardBody>
        </Card>
      </div>

      {run.status === 'succeeded' && <RunPredictions runId={run.id} />}
      {(run.status === 'succeeded' || run.status === 'failed') && <RunDeliveries runId={run.id} />}
    </>
  );
}

/** A run's output location: the file once written; for a failed run only that it was not written. */
function PlannedFile({
  uri,
  state,
}: {
  uri: string | null;
  state: 'failed' | 'pending' | 'written';
}) {
  if (!uri) return <>—</>;
  if (state === 'failed')
    return <span className="text-muted-foreground">not written: the run failed</span>;
  return (
    <>
      <Code>{uri}</Code>
      {state === 'pending' && (
        <span className="ml-2 text-xs text-muted-foreground">(written when the run finishes)</span>
      )}
    </>
  );
}

/** Launch the failed run's month again as a new run (analysts and admins), then open it. */
function RetryRunButton({ runId, month }: { runId: string; month: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const canRetry = useHasRole('analyst');
  const retry = useMutation(
    trpc.runs.retry.mutationOptions({
      onSuccess: async ({ runId: newRunId }) => {
        await queryClient.invalidateQueries({ queryKey: trpc.runs.list.queryKey() });
        router.push(`/runs/${newRunId}`);
      },
    }),
  );
  if (!canRetry) return null;
  return (
    <div className="shrink-0 text-right">
      <Button size="sm" isLoading={retry.isPending} onClick={() => retry.mutate({ id: runId })}>
        Retry {month}
      </Button>
      {retry.error && (
        <p role="alert" className="mt-1 max-w-64 text-xs text-danger">
          {retry.error.message}
        </p>
      )}
    </div>
  );
}

function RunPredictions({ runId }: { runId: string }) {
  const trpc = useTRPC();
  const zones = useZoneIndex();
  const [zoneId, setZoneId] = useState<number | null>(null);
  // Keyset paging: the row_index each visited page starts after (page 1 starts at the top), so
  // Previous is a step back through pages already seen and every page costs the same.
  const [starts, setStarts] = useState<(number | null)[]>([null]);
  const page = starts.length;
  const rows = useQuery({
    ...trpc.runs.predictions.queryOptions({
      runId,
      zoneId,
      after: starts.at(-1) ?? null,
      limit: PAGE_SIZE,
    }),
    placeholderData: keepPreviousData,
  });
  const nextStart = rows.data?.nextCursor ?? null;
  const goToPage = (target: number) => {
    if (target < page) setStarts((s) => s.slice(0, target));
    else if (nextStart != null) setStarts((s) => [...s, nextStart]);
  };
  return (
    <Card className="mt-6">
      <CardHeader
        title="Predictions"
        description="From Postgres, in file order"
        action={
          <div className="w-80">
            <Label htmlFor="run-zone-filter" className="sr-only">
              Filter by zone
            </Label>
            <ZoneFilter
              id="run-zone-filter"
              value={zoneId}
              index={zones}
              onChange={(v) => {
                setZoneId(v);
                setStarts([null]);
              }}
            />
          </div>
        }
      />
      <CardBody>
        {rows.isPending ? (
          <LoadingRows rows={8} />
        ) : rows.isError ? (
          <ErrorState error={rows.error} onRetry={() => void rows.refetch()} />
        ) : rows.data.items.length === 0 ? (
          zoneId == null ? (
            <EmptyState title="No predictions">This run wrote no rows to Postgres.</EmptyState>
          ) : (
            <EmptyState title="No predictions in this zone">
              No trip of this run starts or ends in {zones.label(zoneId)}: pick another zone or
              clear the filter.
            </EmptyState>
          )
        ) : (
          <>
            <Table aria-busy={rows.isFetching} className="table-fixed">
              <colgroup>
                <col className="w-[7.5rem]" />
                <col className="w-[12rem]" />
                <col />
                <col />
                <col className="w-[4.5rem]" />
                <col className="w-[5.5rem]" />
                <col className="w-[6rem]" />
                <col className="w-[4.5rem]" />
              </colgroup>
              <thead>
                <tr>
                  <Th>ride_id</Th>
                  <Th>Pickup</Th>
                  <Th>From</Th>
                  <Th>To</Th>
                  <Th className="text-right">Miles</Th>
                  <Th className="text-right">Actual</Th>
                  <Th className="text-right">Predicted</Th>
                  <Th className="text-right">Diff</Th>
                </tr>
              </thead>
              <tbody>
                {rows.data.items.map((r) => (
                  <tr key={r.rowIndex} data-testid="run-prediction-row">
                    <Td className="truncate font-mono text-xs" title={r.rideId}>
                      {r.rideId}
                    </Td>
                    <Td>{formatDateTime(r.pickupDatetime)}</Td>
                    <Td className="whitespace-normal! break-words">
                      <ZoneLabel id={r.puLocationId} index={zones} />
                    </Td>
                    <Td className="whitespace-normal! break-words">
                      <ZoneLabel id={r.doLocationId} index={zones} />
                    </Td>
                    <Td className="text-right" data-testid="run-miles">
                      {formatMiles(r.tripDistance)}
                    </Td>
                    <Td className="text-right">{formatMinutes(r.actualDuration)}</Td>
                    <Td className="text-right font-medium">{formatMinutes(r.predictedDuration)}</Td>
                    <Td className="text-right text-muted-foreground">
                      {r.actualDuration == null
                        ? '—'
                        : (r.predictedDuration - r.actualDuration).toFixed(1)}
                    </Td>
                  </tr>
                ))}
              </tbody>
            </Table>
            <Pager page={page} hasMore={nextStart != null} onPage={goToPage} />
          </>
        )}
      </CardBody>
    </Card>
  );
}
