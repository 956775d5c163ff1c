'use client';

import Link from 'next/link';
import type { RouterOutputs } from '~/server/api/root';
import { Table, Td, Th } from '~/components/ui/table';
import { formatCount, formatDateTime, formatDuration, formatShortDateTime, formatMonth, runDurationMs } from '~/lib/format';
import { RunProgress, StatusBadge } from './run-status';

type TRunRow = RouterOutputs['runs']['list']['items'][number];

export function RunsTable({ runs, isCompact }: { runs: TRunRow[]; isCompact?: boolean }) {
  return (
    <Table>
      <thead>
        <tr>
          <Th>Month</Th>
          <Th>Taxi</Th>
          <Th>Status</Th>
          <Th>Progress</Th>
          <Th className="text-right">Scored</Th>
          <Th className="text-right">Rejected</Th>
          {!isCompact && <Th>Model</Th>}
          {!isCompact && <Th>Trigger</Th>}
          <Th>Started</Th>
          <Th className="text-right">Duration</Th>
        </tr>
      </thead>
      <tbody>
        {runs.map((run) => (
          <tr
            key={run.id}
            className="hover:bg-muted/50"
            data-testid="run-row"
            data-status={run.status}
            data-trigger={run.trigger}
          >
            <Td>
              <Link href={`/runs/${run.id}`} className="font-medium text-primary hover:underline">
                {formatMonth(run.year, run.month)}
              </Link>
            </Td>
            <Td>{run.taxiType}</Td>
            <Td>
              <StatusBadge status={run.status} />
            </Td>
            <Td>
              <RunProgress status={run.status} progress={run.progress} />
            </Td>
            <Td className="text-right">{formatCount(run.rowsScored)}</Td>
            <Td className="text-right">{formatCount(run.rowsRejected)}</Td>
            {!isCompact && <Td className="font-mono text-xs">{run.modelVersion ?? '—'}</Td>}
            {!isCompact && <Td>{run.trigger}</Td>}
            <Td className="text-muted-foreground" title={formatDateTime(run.startedAt ?? run.createdAt)}>
              {formatShortDateTime(run.startedAt ?? run.createdAt)}
            </Td>
            <Td className="text-right" data-testid="run-duration" title={run.finishedAt ? undefined : 'so far'}>
              {formatDuration(runDurationMs(run))}
            </Td>
          </tr>
        ))}
      </tbody>
    </Table>
  );
}
