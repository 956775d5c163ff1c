'use client';

import { useQuery } from '@tanstack/react-query';
import { FirstRunHelp } from '~/components/first-run-help';
import { PageHeader } from '~/components/page-header';
import { Card, CardBody, CardHeader } from '~/components/ui/card';
import { ErrorState, LoadingRows } from '~/components/ui/states';
import { useTRPC } from '~/trpc/react';
import { isActiveStatus } from './run-status';
import { RunsTable } from './runs-table';
import { useHasRole } from '~/components/session';
import { BackfillForm, TriggerRunForm } from './trigger-forms';

export function RunsView() {
  const trpc = useTRPC();
  const canTrigger = useHasRole('analyst');
  const runs = useQuery({
    ...trpc.runs.list.queryOptions({ limit: 50 }),
    // Poll fast while something runs, slowly otherwise (a schedule may start a run).
    refetchInterval: (query) =>
      query.state.data?.items.some((r) => isActiveStatus(r.status)) ? 1_500 : 10_000,
  });
  return (
    <>
      <PageHeader
        title="Batch runs"
        description="Score a month of TLC trips, or backfill a range, and watch the runs."
      />
      {canTrigger && (
        <div className="grid grid-cols-1 gap-4">
          <TriggerRunForm />
          <BackfillForm />
        </div>
      )}
      <Card className="mt-6">
        <CardHeader title="Runs" description="Newest first; status and progress update live." />
        <CardBody>
          {runs.isPending ? (
            <LoadingRows rows={6} />
          ) : runs.isError ? (
            <ErrorState error={runs.error} onRetry={() => void runs.refetch()} />
          ) : runs.data.items.length === 0 ? (
            <FirstRunHelp />
          ) : (
            <RunsTable runs={runs.data.items} />
          )}
        </CardBody>
      </Card>
    </>
  );
}
