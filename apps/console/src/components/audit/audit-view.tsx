'use client';

import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { PageHeader } from '~/components/page-header';
import { Card, CardBody } from '~/components/ui/card';
import { Pager } from '~/components/ui/pager';
import { EmptyState, ErrorState, LoadingRows } from '~/components/ui/states';
import { Table, Td, Th } from '~/components/ui/table';
import { formatDateTime } from '~/lib/format';
import { useTRPC } from '~/trpc/react';

const PAGE_SIZE = 50;

export function AuditView() {
  const trpc = useTRPC();
  // Cursor of each page seen so far (page 1 has none), so Previous needs no server support.
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const page = cursors.length;
  const audit = useQuery(trpc.audit.list.queryOptions({ limit: PAGE_SIZE, cursor: cursors.at(-1) ?? null }));

  return (
    <>
      <PageHeader
        title="Audit log"
        description="Who triggered runs, promoted, registered or rolled back models, created users, created or revoked API keys, and when. Newest first."
      />
      <Card>
        <CardBody>
          {audit.isPending ? (
            <LoadingRows rows={8} />
          ) : audit.isError ? (
            <ErrorState error={audit.error} onRetry={() => void audit.refetch()} />
          ) : audit.data.items.length === 0 ? (
            <EmptyState title="Nothing recorded yet">Actions taken in the console and the CLIs show here.</EmptyState>
          ) : (
            <>
              <Table data-testid="audit-log">
                <thead>
                  <tr>
                    <Th>When</Th>
                    <Th>Who</Th>
                    <Th>Action</Th>
                    <Th>What</Th>
                    <Th>Details</Th>
                  </tr>
                </thead>
                <tbody>
                  {audit.data.items.map((row) => (
                    <tr key={String(row.id)}>
                      <Td className="whitespace-nowrap text-muted-foreground">{formatDateTime(row.createdAt)}</Td>
                      <Td className="font-medium">{row.actor}</Td>
                      <Td className="font-mono text-xs">{row.action}</Td>
                      <Td className="font-mono text-xs">
                        {row.targetType}
                        {row.targetId ? ` ${row.targetId}` : ''}
                      </Td>
                      <Td className="max-w-md truncate font-mono text-xs" title={row.details ? JSON.stringify(row.details) : undefined}>
                        {row.details ? JSON.stringify(row.details) : ''}
                      </Td>
                    </tr>
                  ))}
                </tbody>
              </Table>
              <Pager
                page={page}
                hasMore={audit.data.nextCursor !== null}
                onPage={(p) => setCursors((c) => (p > c.length ? [...c, audit.data.nextCursor] : c.slice(0, p)))}
              />
            </>
          )}
        </CardBody>
      </Card>
    </>
  );
}
