'use client';

// Several versions scored on the same month of the store, side by side: the evidence an analyst
// wants before adding a challenger or promoting (models.compare, compareModelsOnMonth).
import { useMutation, useQuery } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { Button } from '~/components/ui/button';
import { Card, CardBody, CardHeader } from '~/components/ui/card';
import { ErrorState } from '~/components/ui/states';
import { Table, Td, Th } from '~/components/ui/table';
import { formatCount } from '~/lib/format';
import type { RouterOutputs } from '~/server/api/root';
import { pickStoreMonth, StoreMonthSelect } from '~/components/runs/store-month-select';
import { useTRPC } from '~/trpc/react';
import { SERIES_COLORS } from '~/lib/chart-colors';

type TComparison = RouterOutputs['models']['compare'];
type TVersionOption = { version: string; stage: string };

const MAX_VERSIONS = 4;

/** Production, the challengers and the newest candidate: what is usually weighed. */
function defaultSelection(versions: TVersionOption[]): string[] {
  const serving = versions.filter((v) => v.stage === 'production' || v.stage === 'challenger');
  const candidate = versions.find((v) => v.stage === 'candidate');
  return [...serving, ...(candidate ? [candidate] : [])]
    .slice(0, MAX_VERSIONS)
    .map((v) => v.version);
}

/** A version to weigh against production (a link such as `/models?compare=<v>&month=green:2021-03`). */
function selectionWith(versions: TVersionOption[], version: string): string[] {
  const production = versions.filter((v) => v.stage === 'production').map((v) => v.version);
  return [...new Set([...production, version])].filter((v) =>
    versions.some((o) => o.version === v),
  );
}

export function ComparePanel({
  versions,
  initial,
}: {
  versions: TVersionOption[];
  /** Preselected from a link (the Training page's "Compare with production"). */
  initial?: { version: string | null; month: string | null };
}) {
  const trpc = useTRPC();
  const months = useQuery(trpc.runs.months.queryOptions());
  const [month, setMonth] = useState<string | null>(initial?.month ?? null);
  const [picked, setPicked] = useState<string[] | null>(
    initial?.version ? selectionWith(versions, initial.version) : null,
  );
  const compare = useMutation(trpc.models.compare.mutationOptions());
  // Opened from a link (the Training page): bring the panel into view once the page has loaded.
  const linkedVersion = initial?.version;
  useEffect(() => {
    if (linkedVersion) document.getElementById('compare')?.scrollIntoView({ block: 'start' });
  }, [linkedVersion]);
  const available = months.data?.months ?? [];
  const chosenMonth = pickStoreMonth(available, month);
  const selection = picked ?? defaultSelection(versions);
  const toggle = (version: string) =>
    setPicked(
      selection.includes(version)
        ? selection.filter((v) => v !== version)
        : [...selection, version],
    );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (chosenMonth && selection.length > 0)
      compare.mutate({ ...chosenMonth, versions: selection });
  };

  return (
    <Card className="mb-6 scroll-mt-6" id="compare" data-testid="compare-panel">
      <CardHeader
        title="Compare versions on a month"
        description="Scores the chosen versions on the same trips (1–60 min, as training validates) and sets their errors side by side."
      />
      <CardBody className="space-y-4">
        {months.isError ? (
          <ErrorState error={months.error} />
        ) : months.data && available.length === 0 ? (
          <p className="text-sm text-muted-foreground">
            No trip data in the store yet: put a TLC month in{' '}
            <code className="break-all">{months.data.tripData}</code>.
          </p>
        ) : (
          <form
            onSubmit={submit}
            className="flex flex-wrap items-end gap-4"
            aria-label="Compare versions"
          >
            <StoreMonthSelect
              id="compare-month"
              className="w-48"
              months={available}
              chosen={chosenMonth}
              disabled={!months.data}
              onChange={setMonth}
            />
            <fieldset className="min-w-0 flex-1">
              <legend className="mb-1 text-sm font-medium">Versions (up to {MAX_VERSIONS})</legend>
              <div className="flex flex-wrap gap-x-4 gap-y-1 text-sm">
                {versions.map((v) => (
                  <label key={v.version} className="flex items-center gap-1.5">
                    <input
                      type="checkbox"
                      checked={selection.includes(v.version)}
                      disabled={!selection.includes(v.version) && selection.length >= MAX_VERSIONS}
                      onChange={() => toggle(v.version)}
                    />
                    <span className="font-mono text-xs">{v.version}</span>
                    <span className="text-xs text-muted-foreground">{v.stage}</span>
                  </label>
                ))}
              </div>
            </fieldset>
            <Button
              type="submit"
              isLoading={compare.isPending}
              disabled={!chosenMonth || selection.length === 0}
            >
              Compare
            </Button>
          </form>
        )}
        {compare.isPending && (
          <p className="text-sm text-muted-foreground" aria-live="polite">
            Scoring {selection.length} version{selection.length > 1 ? 's' : ''} on the month…
            (seconds for a demo month, longer for a big one)
          </p>
        )}
        {compare.error && <ErrorState error={compare.error} />}
        {compare.data && <ComparisonResult comparison={compare.data} />}
      </CardBody>
    </Card>
  );
}

function ComparisonResult({ comparison }: { comparison: TComparison }) {
  const labels = comparison.versions.map((v) => v.label);
  const bands = comparison.versions[0]?.evaluation.byDistance.map((b) => b.band) ?? [];
  const chart = bands.map((band) => ({
    band,
    ...Object.fromEntries(
      comparison.versions.map((v) => [
        v.label,
        v.evaluation.byDistance.find((b) => b.band === band)?.rmse ?? null,
      ]),
    ),
  }));
  const best = Math.min(...comparison.versions.map((v) => v.evaluation.rmse));
  return (
    <div className="space-y-4" data-testid="comparison-result">
      <p className="text-sm text-muted-foreground">
        {comparison.month}: {formatCount(comparison.rowsCompared)} of{' '}
        {formatCount(comparison.rowsRead)} trips compared.
      </p>
      <Table className="table-fixed">
        <thead>
          <tr>
            <Th className="w-48">minutes</Th>
            {labels.map((label) => (
              <Th key={label} className="text-right font-mono text-xs break-all whitespace-normal!">
                {label}
              </Th>
            ))}
          </tr>
        </thead>
        <tbody>
          {(['rmse', 'mae', 'bias'] as const).map((metric) => (
            <tr key={metric} data-testid={`compare-${metric}`}>
              <Td>{metric === 'bias' ? 'bias (predicted − actual)' : metric.toUpperCase()}</Td>
              {comparison.versions.map((v) => (
                <Td
                  key={v.label}
                  className={`text-right tabular-nums ${metric === 'rmse' && v.evaluation.rmse === best ? 'font-semibold text-success' : ''}`}
                >
                  {v.evaluation[metric].toFixed(3)}
                </Td>
              ))}
            </tr>
          ))}
        </tbody>
      </Table>
      <div
        className="h-64"
        role="img"
        aria-label="RMSE by trip distance, one bar per version"
        data-testid="compare-by-distance"
      >
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={chart} margin={{ top: 8, right: 8, bottom: 16, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="var(--color-border)" vertical={false} />
            <XAxis dataKey="band" tick={{ fontSize: 11 }} />
            <YAxis
              tick={{ fontSize: 11 }}
              label={{ value: 'RMSE, min', angle: -90, position: 'insideLeft', fontSize: 11 }}
            />
            <Tooltip formatter={(v) => [`${Number(v).toFixed(2)} min`]} />
            <Legend wrapperStyle={{ fontSize: 11 }} />
            {labels.map((label, i) => (
              <Bar
                key={label}
                dataKey={label}
                fill={SERIES_COLORS[i % SERIES_COLORS.length]}
                isAnimationActive={false}
              />
            ))}
          </BarChart>
        </ResponsiveContainer>
      </div>
      <div className="flex flex-wrap gap-6">
        {comparison.versions.map((v) => (
          <PredictedVsActualHeatmap key={v.label} label={v.label} grid={v.predictedVsActual} />
        ))}
      </div>
      {comparison.pairs.length > 0 && (
        <ul className="space-y-1 text-sm" data-testid="compare-pairs">
          {comparison.pairs.map((pair) => (
            <li key={`${pair.a}|${pair.b}`}>
              <span className="font-mono text-xs">{pair.a}</span> vs{' '}
              <span className="font-mono text-xs">{pair.b}</span>: mean{' '}
              {pair.meanAbsDifference.toFixed(2)} min apart, p95 {pair.p95AbsDifference.toFixed(2)}{' '}
              min, {(pair.shareOver5Minutes * 100).toFixed(1)}% of trips more than 5 min apart
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/**
 * Where each version's predictions fall against the actual durations: trips per 2-minute cell,
 * on a log scale so the sparse corners still show. A perfect model fills the diagonal.
 */
function PredictedVsActualHeatmap({
  label,
  grid,
}: {
  label: string;
  grid: TComparison['versions'][number]['predictedVsActual'];
}) {
  const bins = grid.counts.length;
  const scale = Math.log1p(Math.max(1, ...grid.counts.flat()));
  const cells = [];
  // Rows top to bottom: predicted high to low; columns: actual low to high.
  for (let predicted = bins - 1; predicted >= 0; predicted--)
    for (let actual = 0; actual < bins; actual++) {
      const count = grid.counts[actual]?.[predicted] ?? 0;
      const share = count === 0 ? 0 : Math.round((Math.log1p(count) / scale) * 100);
      cells.push(
        <div
          key={`${predicted}-${actual}`}
          title={`actual ${actual * grid.binMinutes}-${(actual + 1) * grid.binMinutes} min, predicted ${predicted * grid.binMinutes}-${(predicted + 1) * grid.binMinutes} min: ${count} trips`}
          style={{
            backgroundColor: `color-mix(in srgb, var(--color-primary) ${share}%, transparent)`,
          }}
        />,
      );
    }
  return (
    <figure className="w-52" data-testid="compare-heatmap">
      <figcaption className="mb-1 truncate font-mono text-xs" title={label}>
        {label}
      </figcaption>
      <div
        role="img"
        aria-label={`Predicted against actual minutes for ${label}`}
        className="grid aspect-square border border-border"
        style={{ gridTemplateColumns: `repeat(${bins}, 1fr)` }}
      >
        {cells}
      </div>
      <div className="mt-0.5 flex justify-between text-[10px] text-muted-foreground">
        <span>0</span>
        <span>actual → (predicted ↑), min</span>
        <span>{grid.maxMinutes}</span>
      </div>
    </figure>
  );
}
