'use client';

// The Models page's champion/challenger section: each challenger compared with production over a
// chosen period (online and stream agreement from the history), add/remove a challenger, and
// promote one with that evidence in the confirmation. Its own component: the page's version cards
// and training live in models-view.tsx.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { Button } from '~/components/ui/button';
import { Card, CardBody, CardHeader } from '~/components/ui/card';
import { ConfirmDialog } from '~/components/ui/dialog';
import { Field, Select } from '~/components/ui/form';
import { ErrorState, LoadingRows } from '~/components/ui/states';
import { Table, Td, Th } from '~/components/ui/table';
import { formatCount, formatMinutes, formatMs, formatPercent } from '~/lib/format';
import type { RouterOutputs } from '~/server/api/root';
import { useTRPC } from '~/trpc/react';

type TComparison = RouterOutputs['models']['challengers'];
type TChallenger = TComparison['challengers'][number];

const PERIODS = [
  { value: '1', label: 'Last 24 hours' },
  { value: '7', label: 'Last 7 days' },
  { value: '30', label: 'Last 30 days' },
] as const;

type TBatchMonth = TComparison['batchMonths'][number];

/** Production's and one challenger's batch error in the months both scored, newest first. */
function pairBatchMonths(months: TBatchMonth[], production: string | null, version: string) {
  const byMonth = new Map<
    string,
    { label: string; production?: TBatchMonth; challenger?: TBatchMonth }
  >();
  for (const m of months) {
    const key = `${m.taxiType} ${m.year}-${String(m.month).padStart(2, '0')}`;
    const entry = byMonth.get(key) ?? { label: key };
    if (m.modelVersion === production) entry.production = m;
    if (m.modelVersion === version) entry.challenger = m;
    byMonth.set(key, entry);
  }
  return [...byMonth.values()].filter((e) => e.challenger).reverse();
}

function BatchMonthsTable({
  months,
  production,
  version,
}: {
  months: TBatchMonth[];
  production: string | null;
  version: string;
}) {
  const rows = pairBatchMonths(months, production, version);
  if (rows.length === 0)
    return (
      <p className="text-sm text-muted-foreground">
        No batch run has scored this challenger yet: the next run (or a backfill) scores it beside
        production.
      </p>
    );
  return (
    <Table aria-label={`Batch error of ${version} and production by month`}>
      <thead>
        <tr>
          <Th>Month</Th>
          <Th className="text-right">Trips</Th>
          <Th className="text-right">RMSE prod / chal.</Th>
          <Th className="text-right">MAE prod / chal.</Th>
          <Th className="text-right">Bias prod / chal.</Th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => {
          const better =
            r.production?.rmse != null && r.challenger?.rmse != null
              ? r.challenger.rmse < r.production.rmse
              : null;
          return (
            <tr key={r.label} data-testid="batch-month-row">
              <Td>{r.label}</Td>
              <Td className="text-right">{formatCount(r.challenger?.rowsWithActual ?? 0)}</Td>
              <Td className="text-right">
                {formatMinutes(r.production?.rmse, 2)} /{' '}
                <span className={better === null ? '' : better ? 'text-success' : 'text-danger'}>
                  {formatMinutes(r.challenger?.rmse, 2)}
                </span>
              </Td>
              <Td className="text-right">
                {formatMinutes(r.production?.mae, 2)} / {formatMinutes(r.challenger?.mae, 2)}
              </Td>
              <Td className="text-right">
                {formatMinutes(r.production?.bias, 2)} / {formatMinutes(r.challenger?.bias, 2)}
              </Td>
            </tr>
          );
        })}
      </tbody>
    </Table>
  );
}

/** One sentence of batch evidence for the promote dialog. */
function batchEvidence(months: TBatchMonth[], production: string | null, version: string): string {
  const rows = pairBatchMonths(months, production, version).filter(
    (r) => r.production?.rmse != null && r.challenger?.rmse != null,
  );
  if (rows.length === 0) return 'No batch run has scored both yet.';
  const wins = rows.filter((r) => r.challenger!.rmse! < r.production!.rmse!).length;
  const latest = rows[0]!;
  return `Batch: lower RMSE than production in ${wins} of ${rows.length} month${rows.length === 1 ? '' : 's'}; ${latest.label}: ${formatMinutes(latest.challenger!.rmse, 2)} vs ${formatMinutes(latest.production!.rmse, 2)}.`;
}

function AgreementTable({ challenger }: { challenger: TChallenger }) {
  if (challenger.agreement.length === 0)
    return (
      <p className="text-sm text-muted-foreground">
        No online or stream predictions by this challenger in the period yet.
      </p>
    );
  return (
    <Table aria-label={`Agreement of ${challenger.version} with production`}>
      <thead>
        <tr>
          <Th>Mode</Th>
          <Th className="text-right">Rides</Th>
          <Th className="text-right">Mean |Δ|</Th>
          <Th className="text-right">p95 |Δ|</Th>
          <Th className="text-right">&gt; 5 min apart</Th>
          <Th className="text-right">Latency prod / chal.</Th>
        </tr>
      </thead>
      <tbody>
        {challenger.agreement.map((a) => (
          <tr key={a.source} data-testid="agreement-row" data-source={a.source}>
            <Td>{a.source}</Td>
            <Td className="text-right">{formatCount(a.pairs)}</Td>
            <Td className="text-right">{formatMinutes(a.meanAbsDiffMinutes, 2)}</Td>
            <Td className="text-right">{formatMinutes(a.p95AbsDiffMinutes, 2)}</Td>
            <Td className="text-right">{formatPercent(a.shareOver5Min)}</Td>
            <Td className="text-right">
              {formatMs(a.productionLatencyMs)} / {formatMs(a.challengerLatencyMs)}
            </Td>
          </tr>
        ))}
      </tbody>
    </Table>
  );
}

export function ChallengersPanel({
  canManage,
  candidates,
}: {
  canManage: boolean;
  /** Versions that may become a challenger (candidate or archived). */
  candidates: string[];
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [days, setDays] = useState<string>('7');
  // The period ends now, rounded to the minute so the query key is stable between renders.
  const period = useMemo(() => {
    const to = new Date(Math.ceil(Date.now() / 60_000) * 60_000);
    return { from: new Date(to.getTime() - Number(days) * 86_400_000), to };
  }, [days]);
  const comparison = useQuery(trpc.models.challengers.queryOptions(period));
  const [toAdd, setToAdd] = useState('');
  const [promoting, setPromoting] = useState<TChallenger | null>(null);
  const [previousStage, setPreviousStage] = useState<'archived' | 'challenger'>('archived');
  const onDone = async () => {
    setPromoting(null);
    setToAdd('');
    await queryClient.invalidateQueries({ queryKey: trpc.models.challengers.queryKey() });
    await queryClient.invalidateQueries({ queryKey: trpc.models.list.queryKey() });
    await queryClient.invalidateQueries({ queryKey: trpc.overview.get.queryKey() });
  };
  const add = useMutation(trpc.models.addChallenger.mutationOptions({ onSuccess: onDone }));
  const remove = useMutation(trpc.models.removeChallenger.mutationOptions({ onSuccess: onDone }));
  const promote = useMutation(trpc.models.promote.mutationOptions({ onSuccess: onDone }));
  const error = add.error ?? remove.error ?? promote.error;
  const data = comparison.data;
  const isFull = data ? data.challengers.length >= data.maxChallengers : true;

  return (
    <Card className="mb-6" data-testid="challengers-panel">
      <CardHeader
        title="Challengers"
        description={
          <>
            Up to three versions score every online request and stream record beside production
            (recorded in History with role challenger); production still answers.
          </>
        }
        action={
          <div className="w-40">
            <Field id="ch-period" label="Period">
              <Select id="ch-period" value={days} onChange={(e) => setDays(e.target.value)}>
                {PERIODS.map((p) => (
                  <option key={p.value} value={p.value}>
                    {p.label}
                  </option>
                ))}
              </Select>
            </Field>
          </div>
        }
      />
      <CardBody className="space-y-4">
        {error && <ErrorState error={error} />}
        {comparison.isPending ? (
          <LoadingRows rows={3} />
        ) : comparison.isError ? (
          <ErrorState error={comparison.error} onRetry={() => void comparison.refetch()} />
        ) : (
          <>
            {data!.challengers.length === 0 ? (
              <p className="text-sm text-muted-foreground">
                No challengers. Add a registered version below to compare it with production on live
                traffic before promoting it.
              </p>
            ) : (
              data!.challengers.map((c) => (
                <section
                  key={c.version}
                  className="space-y-2"
                  data-testid="challenger"
                  data-version={c.version}
                >
                  <div className="flex flex-wrap items-center justify-between gap-2">
                    <h3 className="text-sm font-semibold">
                      <span className="font-mono">{c.version}</span>{' '}
                      <span className="font-normal text-muted-foreground">
                        vs production <span className="font-mono">{data!.production ?? '—'}</span>
                      </span>
                    </h3>
                    {canManage && (
                      <div className="flex gap-2">
                        <Button
                          variant="secondary"
                          isLoading={remove.isPending && remove.variables?.version === c.version}
                          onClick={() => remove.mutate({ version: c.version })}
                        >
                          Remove
                        </Button>
                        <Button onClick={() => setPromoting(c)}>Promote…</Button>
                      </div>
                    )}
                  </div>
                  {data!.failing
                    .filter((f) => f.version === c.version)
                    .map((f, i) => (
                      <p
                        key={`${f.where}-${i}`}
                        role="alert"
                        className="rounded-md border border-danger/30 bg-danger/5 px-3 py-2 text-xs text-danger"
                        data-testid="challenger-failing"
                      >
                        Skipped {f.where === 'online' ? 'online' : 'by a stream consumer'}:{' '}
                        {f.error}. Production answers as usual; the challenger is retried at every
                        registry check.
                      </p>
                    ))}
                  <AgreementTable challenger={c} />
                  <BatchMonthsTable
                    months={data!.batchMonths}
                    production={data!.production}
                    version={c.version}
                  />
                </section>
              ))
            )}
            {canManage && (
              <form
                className="flex flex-wrap items-end gap-3"
                aria-label="Add a challenger"
                onSubmit={(e) => {
                  e.preventDefault();
                  if (toAdd) add.mutate({ version: toAdd });
                }}
              >
                <div className="w-56">
                  <Field id="ch-add" label="Add a challenger">
                    <Select
                      id="ch-add"
                      value={toAdd}
                      disabled={isFull || candidates.length === 0}
                      onChange={(e) => setToAdd(e.target.value)}
                    >
                      <option value="">
                        {isFull
                          ? 'Three challengers already'
                          : candidates.length === 0
                            ? 'No other version registered'
                            : 'Choose a version'}
                      </option>
                      {candidates.map((v) => (
                        <option key={v} value={v}>
                          {v}
                        </option>
                      ))}
                    </Select>
                  </Field>
                </div>
                <Button
                  type="submit"
                  variant="secondary"
                  disabled={!toAdd}
                  isLoading={add.isPending}
                >
                  Add challenger
                </Button>
              </form>
            )}
          </>
        )}
      </CardBody>
      <ConfirmDialog
        open={promoting !== null}
        title={promoting ? `Promote challenger ${promoting.version} to production?` : ''}
        confirmLabel="Promote"
        isPending={promote.isPending}
        onCancel={() => setPromoting(null)}
        onConfirm={() => promoting && promote.mutate({ version: promoting.version, previousStage })}
      >
        <span className="block" data-testid="promote-evidence">
          {promoting && promoting.agreement.length > 0
            ? promoting.agreement
                .map(
                  (a) =>
                    `${a.source}: ${formatCount(a.pairs)} rides, mean |Δ| ${formatMinutes(a.meanAbsDiffMinutes, 2)}, p95 |Δ| ${formatMinutes(a.p95AbsDiffMinutes, 2)}, ${formatPercent(a.shareOver5Min)} over 5 min apart`,
                )
                .join('; ') + '.'
            : 'No online or stream comparison in the chosen period.'}{' '}
          {promoting &&
            batchEvidence(data?.batchMonths ?? [], data?.production ?? null, promoting.version)}
        </span>
        <span className="mt-3 block">
          Production <span className="font-mono">{data?.production ?? '—'}</span> then:
        </span>
        <span className="mt-1 flex gap-4">
          {(['archived', 'challenger'] as const).map((stage) => (
            <label key={stage} className="flex items-center gap-1.5 text-foreground">
              <input
                type="radio"
                name="previous-stage"
                value={stage}
                checked={previousStage === stage}
                onChange={() => setPreviousStage(stage)}
              />
              {stage === 'archived' ? 'is archived' : 'stays on as a challenger'}
            </label>
          ))}
        </span>
      </ConfirmDialog>
    </Card>
  );
}
