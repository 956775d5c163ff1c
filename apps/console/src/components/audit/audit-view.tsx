'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { PageHeader } from '~/components/page-header';
import { Card, CardBody } from '~/components/ui/card';
import { Pager } from '~/components/ui/pager';
import { EmptyState, ErrorState, LoadingRows } from '~/components/ui/states';
import { Table, Td, Th } from '~/components/ui/table';
import { formatDateTime } from '~/lib/format';
import { flattenAuditDetails } from './audit-details';
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
              <Table data-testid="audit-log" className="table-fixed">
                <colgroup>
                  <col className="w-[11.5rem]" />
                  <col className="w-[11rem]" />
                  <col className="w-[9.5rem]" />
                  <col className="w-[14rem]" />
                  <col />
                </colgroup>
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
                    <tr key={String(row.id)} className="align-top" data-testid="audit-row" data-action={row.action}>
                      <Td className="text-muted-foreground">{formatDateTime(row.createdAt)}</Td>
                      <Td className="truncate font-medium" title={row.actor}>
                        {row.actor}
                      </Td>
                      <Td className="font-mono text-xs whitespace-normal! break-words">{row.action}</Td>
                      <Td className="text-xs whitespace-normal!">
                        <AuditTarget type={row.targetType} id={row.targetId} />
                      </Td>
                      <Td className="whitespace-normal!">
                        <AuditDetails details={row.details} />
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

/** The target, linked to its page where it has one (a run, the models). */
function AuditTarget({ type, id }: { type: string; id: string | null }) {
  const ids = id ? id.split(',') : [];
  return (
    <span className="block">
      <span className="text-muted-foreground">{type.replaceAll('_', ' ')}</span>
      {ids.map((one) => (
        <span key={one} className="block truncate font-mono" title={one}>
          {type === 'batch_run' ? (
            <Link className="text-primary hover:underline" href={`/runs/${one}`}>
              {one}
            </Link>
          ) : type === 'model_version' ? (
            // `<name>@<version>`: the version is what tells entries apart (the name is in the title).
            <Link className="text-primary hover:underline" href="/models">
              {one.includes('@') ? one.slice(one.lastIndexOf('@') + 1) : one}
            </Link>
          ) : (
            one
          )}
        </span>
      ))}
    </span>
  );
}

function AuditDetails({ details }: { details: unknown }) {
  const pairs = flattenAuditDetails(details);
  if (pairs.length === 0) return <span className="text-muted-foreground">—</span>;
  return (
    <dl className="flex flex-wrap gap-x-4 gap-y-0.5 text-xs" data-testid="audit-details">
      {pairs.map((p) => (
        <div key={p.label} className="flex min-w-0 max-w-full gap-1">
          <dt className="shrink-0 text-muted-foreground">{p.label}</dt>
          <dd className="min-w-0 truncate font-mono" title={p.value}>
            {p.value}
          </dd>
        </div>
      ))}
    </dl>
  );
}
