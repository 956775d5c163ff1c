'use client';

import { keepPreviousData, useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { useMemo, useState } from 'react';
import { PageHeader } from '~/components/page-header';
import { useZoneIndex, ZoneFilter, ZoneLabel } from '~/components/zones';
import { StatusBadge } from '~/components/ui/badge';
import { Button } from '~/components/ui/button';
import { Card, CardBody } from '~/components/ui/card';
import { Field, Input, Select } from '~/components/ui/form';
import { Pager } from '~/components/ui/pager';
import { EmptyState, ErrorState, LoadingRows } from '~/components/ui/states';
import { Table, Td, Th } from '~/components/ui/table';
import { formatMiles, formatMinutes, formatMs, formatShortDateTime } from '~/lib/format';
import { useTRPC } from '~/trpc/react';
import {
  fromLocalInput,
  HISTORY_ROLES,
  HISTORY_SOURCES,
  isDefaultHistoryFilter,
  readHistoryFilter,
  toLocalInput,
  writeHistoryFilter,
  type THistoryPageFilter,
} from './history-filter';

const PAGE_SIZE = 50;

export function HistoryView() {
  const trpc = useTRPC();
  const zones = useZoneIndex();
  const router = useRouter();
  const pathname = usePathname();
  const searchParams = useSearchParams();
  // The filters live in the URL: a refresh or a shared link shows the same page. A change is
  // applied here at once (controls must not lag behind router.replace) and written to the URL; a
  // URL changed from outside (back/forward, a pasted link) is read back when it differs from the
  // one last seen. The URLs this page wrote itself arrive later, one by one: reading one of them
  // back would undo a change made since (two ticks in a row: the first URL re-ticks the second).
  const urlQuery = searchParams.toString();
  const [synced, setSynced] = useState(() => ({
    seenQuery: urlQuery,
    filter: readHistoryFilter(new URLSearchParams(urlQuery)),
    /** Queries written by navigate and not seen in the URL yet, oldest first. */
    written: [] as string[],
  }));
  if (synced.seenQuery !== urlQuery) {
    const own = synced.written.indexOf(urlQuery);
    setSynced(
      own >= 0
        ? { ...synced, seenQuery: urlQuery, written: synced.written.slice(own + 1) }
        : {
            seenQuery: urlQuery,
            filter: readHistoryFilter(new URLSearchParams(urlQuery)),
            written: [],
          },
    );
  }
  const state = synced.filter;
  const { sources, modelVersion, role, zoneId, from, to, page } = state;
  const navigate = (next: THistoryPageFilter) => {
    const query = writeHistoryFilter(next).toString();
    // A URL that does not change never arrives: only a new one is waited for.
    setSynced((current) => ({
      ...current,
      filter: next,
      written:
        query === current.seenQuery ? current.written : [...current.written, query].slice(-20),
    }));
    router.replace(query ? `${pathname}?${query}` : pathname, { scroll: false });
  };
  /** A filter change goes back to page 1. */
  const setFilter = (patch: Partial<Omit<THistoryPageFilter, 'page'>>) =>
    navigate({ ...state, ...patch, page: 1 });
  const setPage = (p: number) => navigate({ ...state, page: p });

  const filter = useMemo(
    () => ({
      sources,
      modelVersion: modelVersion || undefined,
      roles: role ? [role] : undefined,
      zoneId: zoneId ?? undefined,
      from: from ? new Date(from) : undefined,
      to: to ? new Date(to) : undefined,
    }),
    [sources, modelVersion, role, zoneId, from, to],
  );
  const history = useQuery({
    ...trpc.history.list.queryOptions({ filter, page, pageSize: PAGE_SIZE }),
    placeholderData: keepPreviousData,
    refetchInterval: page === 1 ? 10_000 : false,
  });
  const versions = useQuery(trpc.history.modelVersions.queryOptions());

  // The export takes the page's own query (minus the page number): the same rows, all pages.
  const exportHref = useMemo(() => {
    const p = writeHistoryFilter(state, { withPage: false });
    p.set('sources', sources.join(','));
    return `/api/history/export?${p.toString()}`;
  }, [state, sources]);
  const isFiltered = !isDefaultHistoryFilter(state);

  return (
    <>
      <PageHeader
        title="History"
        description="Every prediction from the three modes: online requests, stream events and batch runs."
        action={
          <a
            href={exportHref}
            download
            className="inline-flex h-9 items-center rounded-md border border-border bg-card px-4 text-sm font-medium hover:bg-muted"
          >
            Export CSV
          </a>
        }
      />
      <Card className="mb-4">
        <CardBody>
          <form
            className="flex flex-wrap items-end gap-x-4 gap-y-3 [&>div]:shrink-0"
            aria-label="Filter history"
            onSubmit={(e) => e.preventDefault()}
          >
            <fieldset>
              <legend className="mb-1 text-xs font-medium">Source</legend>
              <div className="flex h-9 items-center gap-3">
                {HISTORY_SOURCES.map((s) => (
                  <label key={s} className="flex items-center gap-1.5 text-sm">
                    <input
                      type="checkbox"
                      className="size-4 accent-[var(--color-primary)]"
                      checked={sources.includes(s)}
                      // Unticking the last source would show nothing: it is kept ticked instead.
                      disabled={sources.length === 1 && sources.includes(s)}
                      onChange={(e) =>
                        setFilter({
                          sources: e.target.checked
                            ? HISTORY_SOURCES.filter((x) => x === s || sources.includes(x))
                            : sources.filter((x) => x !== s),
                        })
                      }
                    />
                    {s}
                  </label>
                ))}
              </div>
            </fieldset>
            <div className="w-44">
              <Field id="h-version" label="Model version">
                <Select
                  id="h-version"
                  value={modelVersion}
                  onChange={(e) => setFilter({ modelVersion: e.target.value })}
                >
                  <option value="">Any version</option>
                  {(versions.data ?? []).map((v) => (
                    <option key={v} value={v}>
                      {v}
                    </option>
                  ))}
                </Select>
              </Field>
            </div>
            <div className="w-36">
              <Field id="h-role" label="Role">
                <Select
                  id="h-role"
                  value={role}
                  onChange={(e) => setFilter({ role: e.target.value as typeof role })}
                >
                  <option value="">Any role</option>
                  {HISTORY_ROLES.map((r) => (
                    <option key={r} value={r}>
                      {r}
                    </option>
                  ))}
                </Select>
              </Field>
            </div>
            <div className="w-60">
              <Field id="h-zone" label="Zone (pickup or dropoff)">
                <ZoneFilter
                  id="h-zone"
                  value={zoneId}
                  onChange={(v) => setFilter({ zoneId: v })}
                  index={zones}
                />
              </Field>
            </div>
            <div className="w-48">
              <Field id="h-from" label="From">
                <Input
                  id="h-from"
                  type="datetime-local"
                  value={toLocalInput(from)}
                  onChange={(e) => setFilter({ from: fromLocalInput(e.target.value) })}
                />
              </Field>
            </div>
            <div className="w-48">
              <Field id="h-to" label="To">
                <Input
                  id="h-to"
                  type="datetime-local"
                  value={toLocalInput(to)}
                  onChange={(e) => setFilter({ to: fromLocalInput(e.target.value) })}
                />
              </Field>
            </div>
            {isFiltered && (
              <Button
                variant="ghost"
                size="sm"
                className="mb-0.5"
                onClick={() => navigate(readHistoryFilter(new URLSearchParams()))}
              >
                Clear filters
              </Button>
            )}
          </form>
        </CardBody>
      </Card>
      <Card>
        <CardBody>
          {history.isPending ? (
            <LoadingRows rows={10} />
          ) : history.isError ? (
            <ErrorState error={history.error} onRetry={() => void history.refetch()} />
          ) : history.data.items.length === 0 ? (
            page > 1 ? (
              <EmptyState
                title="No more predictions"
                action={
                  <Button variant="secondary" size="sm" onClick={() => setPage(1)}>
                    First page
                  </Button>
                }
              >
                This page is past the last one.
              </EmptyState>
            ) : isFiltered ? (
              <EmptyState
                title="No predictions match these filters"
                action={
                  <Button
                    variant="secondary"
                    size="sm"
                    onClick={() => navigate(readHistoryFilter(new URLSearchParams()))}
                  >
                    Clear filters
                  </Button>
                }
              >
                Other predictions exist or may arrive: widen the time range, another source, version
                or zone.
              </EmptyState>
            ) : (
              <EmptyState title="No predictions yet">
                Predictions appear here as they are made:{' '}
                <Link className="text-primary underline" href="/runs">
                  start a batch run
                </Link>
                , make a{' '}
                <Link className="text-primary underline" href="/predict">
                  live prediction
                </Link>
                , call <code>POST /api/v1/predict</code>, or put ride events on the input stream.
              </EmptyState>
            )
          ) : (
            <>
              {/* Fixed layout with set widths: the zone columns take what is left and wrap, long
                  values truncate with a tooltip, and the table fits the card at 1280 px. */}
              <Table
                aria-busy={history.isFetching}
                data-testid="history-table"
                className="table-fixed text-[13px]"
              >
                <colgroup>
                  <col className="w-[7.25rem]" />
                  <col className="w-[5rem]" />
                  <col className="w-[6.75rem]" />
                  <col />
                  <col />
                  <col className="w-[3.5rem]" />
                  <col className="w-[5.75rem]" />
                  <col className="w-[4.25rem]" />
                  <col className="w-[5.5rem]" />
                  <col className="w-[4.5rem]" />
                </colgroup>
                <thead>
                  <tr>
                    <Th>Predicted at</Th>
                    <Th>Source</Th>
                    <Th>ride_id</Th>
                    <Th>From</Th>
                    <Th>To</Th>
                    <Th className="text-right">Miles</Th>
                    <Th className="text-right">Predicted</Th>
                    <Th className="text-right">Actual</Th>
                    <Th>Model</Th>
                    <Th className="text-right">Latency</Th>
                  </tr>
                </thead>
                <tbody>
                  {history.data.items.map((r, i) => (
                    <tr
                      key={`${r.source}-${r.rideId ?? i}-${i}`}
                      data-testid="history-row"
                      data-source={r.source}
                    >
                      <Td className="text-muted-foreground">
                        {formatShortDateTime(r.predictedAt)}
                      </Td>
                      <Td className="whitespace-normal!">
                        <span className="flex flex-wrap gap-1">
                          <StatusBadge status={r.source} />
                          {r.status === 'rejected' && <StatusBadge status="rejected" />}
                          {r.role !== 'production' && <StatusBadge status={r.role} />}
                        </span>
                      </Td>
                      <Td className="truncate font-mono text-xs" title={r.rideId ?? undefined}>
                        {r.runId ? (
                          <a className="text-primary hover:underline" href={`/runs/${r.runId}`}>
                            {r.rideId}
                          </a>
                        ) : (
                          (r.rideId ?? '—')
                        )}
                      </Td>
                      <Td className="whitespace-normal! break-words">
                        <ZoneLabel id={r.puLocationId} index={zones} />
                      </Td>
                      <Td className="whitespace-normal! break-words">
                        <ZoneLabel id={r.doLocationId} index={zones} />
                      </Td>
                      <Td className="text-right" data-testid="history-miles">
                        {formatMiles(r.tripDistance)}
                      </Td>
                      <Td className="truncate text-right font-medium" title={r.reason ?? undefined}>
                        {r.status === 'rejected' ? (
                          <span className="text-xs text-danger">{r.reason}</span>
                        ) : (
                          formatMinutes(r.predictedDuration)
                        )}
                      </Td>
                      <Td className="text-right text-muted-foreground">
                        {formatMinutes(r.actualDuration)}
                      </Td>
                      <Td
                        className="truncate font-mono text-xs"
                        title={r.modelVersion ?? undefined}
                      >
                        {r.modelVersion ?? '—'}
                      </Td>
                      <Td className="text-right">{formatMs(r.latencyMs)}</Td>
                    </tr>
                  ))}
                </tbody>
              </Table>
              <Pager page={page} hasMore={history.data.hasMore} onPage={setPage} />
            </>
          )}
        </CardBody>
      </Card>
    </>
  );
}
