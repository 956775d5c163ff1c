'use client';

import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { PageHeader } from '~/components/page-header';
import { useZoneIndex, ZoneFilter, ZoneLabel } from '~/components/zones';
import { StatusBadge } from '~/components/ui/badge';
import { Card, CardBody } from '~/components/ui/card';
import { Field, Input, Select } from '~/components/ui/form';
import { Pager } from '~/components/ui/pager';
import { EmptyState, ErrorState, LoadingRows } from '~/components/ui/states';
import { Table, Td, Th } from '~/components/ui/table';
import { formatMinutes, formatMs, formatShortDateTime } from '~/lib/format';
import { useTRPC } from '~/trpc/react';

const SOURCES = ['online', 'stream', 'batch'] as const;
type TSource = (typeof SOURCES)[number];
const PAGE_SIZE = 50;

/** `<input type="datetime-local">` value (local time) → Date, or undefined when empty. */
const parseLocal = (v: string) => (v ? new Date(v) : undefined);

export function HistoryView() {
  const trpc = useTRPC();
  const zones = useZoneIndex();
  const [sources, setSources] = useState<TSource[]>([...SOURCES]);
  const [modelVersion, setModelVersion] = useState('');
  const [zoneId, setZoneId] = useState<number | null>(null);
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [page, setPage] = useState(1);

  const filter = useMemo(
    () => ({
      sources: sources.length ? sources : [...SOURCES],
      modelVersion: modelVersion || undefined,
      zoneId: zoneId ?? undefined,
      from: parseLocal(from),
      to: parseLocal(to),
    }),
    [sources, modelVersion, zoneId, from, to],
  );
  const history = useQuery({
    ...trpc.history.list.queryOptions({ filter, page, pageSize: PAGE_SIZE }),
    placeholderData: keepPreviousData,
    refetchInterval: page === 1 ? 10_000 : false,
  });
  const versions = useQuery(trpc.history.modelVersions.queryOptions());

  const exportHref = useMemo(() => {
    const p = new URLSearchParams({ sources: filter.sources.join(',') });
    if (filter.modelVersion) p.set('modelVersion', filter.modelVersion);
    if (filter.zoneId) p.set('zoneId', String(filter.zoneId));
    if (filter.from) p.set('from', filter.from.toISOString());
    if (filter.to) p.set('to', filter.to.toISOString());
    return `/api/history/export?${p.toString()}`;
  }, [filter]);

  const onFilter =
    <T,>(set: (v: T) => void) =>
    (v: T) => {
      set(v);
      setPage(1);
    };

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
                {SOURCES.map((s) => (
                  <label key={s} className="flex items-center gap-1.5 text-sm">
                    <input
                      type="checkbox"
                      className="size-4 accent-[var(--color-primary)]"
                      checked={sources.includes(s)}
                      onChange={(e) =>
                        onFilter(setSources)(
                          e.target.checked ? [...sources, s] : sources.filter((x) => x !== s),
                        )
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
                  onChange={(e) => onFilter(setModelVersion)(e.target.value)}
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
            <div className="w-60">
              <Field id="h-zone" label="Zone (pickup or dropoff)">
                <ZoneFilter
                  id="h-zone"
                  value={zoneId}
                  onChange={onFilter(setZoneId)}
                  index={zones}
                />
              </Field>
            </div>
            <div className="w-48">
              <Field id="h-from" label="From">
                <Input
                  id="h-from"
                  type="datetime-local"
                  value={from}
                  onChange={(e) => onFilter(setFrom)(e.target.value)}
                />
              </Field>
            </div>
            <div className="w-48">
              <Field id="h-to" label="To">
                <Input
                  id="h-to"
                  type="datetime-local"
                  value={to}
                  onChange={(e) => onFilter(setTo)(e.target.value)}
                />
              </Field>
            </div>
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
            <EmptyState title={page > 1 ? 'No more predictions' : 'No predictions match'}>
              {page > 1
                ? 'Go back a page.'
                : 'Widen the filters, run a batch, or make a live prediction.'}
            </EmptyState>
          ) : (
            <>
              <Table
                aria-busy={history.isFetching}
                data-testid="history-table"
                className="text-[13px]"
              >
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
                      <Td>
                        <StatusBadge status={r.source} />{' '}
                        {r.status === 'rejected' && <StatusBadge status="rejected" />}
                      </Td>
                      <Td
                        className="max-w-36 truncate font-mono text-xs"
                        title={r.rideId ?? undefined}
                      >
                        {r.runId ? (
                          <a className="text-primary hover:underline" href={`/runs/${r.runId}`}>
                            {r.rideId}
                          </a>
                        ) : (
                          (r.rideId ?? '—')
                        )}
                      </Td>
                      <Td className="max-w-44 truncate">
                        <ZoneLabel id={r.puLocationId} index={zones} />
                      </Td>
                      <Td className="max-w-44 truncate">
                        <ZoneLabel id={r.doLocationId} index={zones} />
                      </Td>
                      <Td className="text-right">{r.tripDistance?.toFixed(1) ?? '—'}</Td>
                      <Td className="text-right font-medium">
                        {r.status === 'rejected' ? (
                          <span
                            className="ml-auto block max-w-56 truncate text-xs text-danger"
                            title={r.reason ?? undefined}
                          >
                            {r.reason}
                          </span>
                        ) : (
                          formatMinutes(r.predictedDuration)
                        )}
                      </Td>
                      <Td className="text-right text-muted-foreground">
                        {formatMinutes(r.actualDuration)}
                      </Td>
                      <Td className="font-mono text-xs">{r.modelVersion ?? '—'}</Td>
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
