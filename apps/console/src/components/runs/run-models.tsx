'use client';

// Every model that scored a batch run: production and each challenger, their error against the
// actual durations, how far each challenger is from production, and where its Parquet went.
import Link from 'next/link';
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
import { Badge } from '~/components/ui/badge';
import { Card, CardBody, CardHeader } from '~/components/ui/card';
import { Table, Td, Th } from '~/components/ui/table';
import { SERIES_COLORS } from '~/lib/chart-colors';
import { formatCount, formatMinutes, formatPercent } from '~/lib/format';
import type { RouterOutputs } from '~/server/api/root';

type TRunModel = RouterOutputs['runs']['get']['models'][number];

const signedMinutes = (n: number | null) =>
  n == null ? '—' : `${n > 0 ? '+' : n < 0 ? '−' : ''}${Math.abs(n).toFixed(2)} min`;

export function RunModels({ models }: { models: TRunModel[] }) {
  if (models.length === 0) return null;
  const challengers = models.filter((m) => m.role === 'challenger');
  return (
    // One column: the seven-figure table needs the card's full width at 1280 px, and the
    // difference chart reads better wide.
    <div className="mt-6 grid grid-cols-1 gap-4" data-testid="run-models">
      <Card>
        <CardHeader
          title="Models"
          description="Error against the actual durations of the run's trips; challengers also against production"
        />
        <CardBody>
          <Table>
            <thead>
              <tr>
                <Th>Version</Th>
                <Th className="text-right">RMSE</Th>
                <Th className="text-right">MAE</Th>
                <Th className="text-right" title="Mean of predicted − actual">
                  Bias
                </Th>
                <Th className="text-right" title="Trips predicted more than 10 minutes off">
                  &gt; 10 min off
                </Th>
                <Th className="text-right" title="Mean absolute difference from production">
                  vs production
                </Th>
                <Th
                  className="text-right"
                  title="Trips more than 5 minutes from production's answer"
                >
                  &gt; 5 min apart
                </Th>
              </tr>
            </thead>
            <tbody>
              {models.map((m) => (
                <tr key={m.modelVersion} data-testid={`run-model-${m.modelVersion}`}>
                  <Td>
                    <div className="flex items-center gap-2">
                      <span className="font-mono text-xs">{m.modelVersion}</span>
                      <Badge tone={m.role === 'production' ? 'info' : 'neutral'}>{m.role}</Badge>
                    </div>
                    {m.error && (
                      <div className="mt-1 text-xs text-danger" role="status">
                        skipped: {m.error}
                      </div>
                    )}
                  </Td>
                  <Td className="text-right">{formatMinutes(m.rmse, 2)}</Td>
                  <Td className="text-right">{formatMinutes(m.mae, 2)}</Td>
                  <Td className="text-right">{signedMinutes(m.bias)}</Td>
                  <Td className="text-right">{formatPercent(m.shareOff10Min)}</Td>
                  <Td className="text-right">
                    {m.agreement ? formatMinutes(m.agreement.meanAbsDifference, 2) : '—'}
                  </Td>
                  <Td className="text-right">
                    {m.agreement ? formatPercent(m.agreement.shareOver5Minutes) : '—'}
                  </Td>
                </tr>
              ))}
            </tbody>
          </Table>
          <p className="mt-3 text-xs text-muted-foreground">
            {challengers.length === 0 ? (
              <>
                Only production scored this run. Add a challenger on the{' '}
                <Link href="/models" className="text-primary underline">
                  Models page
                </Link>{' '}
                and the next run scores it beside production.
              </>
            ) : (
              <>
                Over {formatCount(models[0]?.rowsWithActual ?? 0)} trips with a known duration. Each
                challenger&apos;s predictions are in its own Parquet beside production&apos;s
                {challengers.some((c) => c.outputUri) && (
                  <>
                    {' '}
                    (
                    <span className="font-mono">
                      {challengers.find((c) => c.outputUri)?.outputUri}
                    </span>
                    , …)
                  </>
                )}
                .
              </>
            )}
          </p>
        </CardBody>
      </Card>
      {challengers.some((c) => c.agreement) && (
        <Card>
          <CardHeader
            title="Difference from production"
            description="Trips per 1-minute bucket of challenger − production; the end buckets hold the tails"
          />
          <CardBody>
            <DifferenceChart challengers={challengers} />
          </CardBody>
        </Card>
      )}
    </div>
  );
}

function DifferenceChart({ challengers }: { challengers: TRunModel[] }) {
  const scored = challengers.filter((c) => c.agreement);
  const first = scored[0]!.agreement!.histogram;
  const data = first.counts.map((_, i) => {
    const from = first.from + i * first.binMinutes;
    const row: Record<string, number | string> = {
      label:
        i === 0
          ? `≤ ${from + first.binMinutes}`
          : i === first.counts.length - 1
            ? `≥ ${from}`
            : `${from}`,
    };
    for (const c of scored) row[c.modelVersion] = c.agreement!.histogram.counts[i] ?? 0;
    return row;
  });
  return (
    <div
      className="h-64"
      role="img"
      aria-label="Histogram of the differences between each challenger and production"
      data-testid="difference-chart"
    >
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data} margin={{ top: 8, right: 8, bottom: 16, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="var(--color-border)" vertical={false} />
          <XAxis
            dataKey="label"
            tick={{ fontSize: 11 }}
            interval={4}
            label={{ value: 'minutes', position: 'insideBottom', offset: -10, fontSize: 11 }}
          />
          <YAxis
            tick={{ fontSize: 11 }}
            tickFormatter={(v: number) => (v >= 1000 ? `${Math.round(v / 1000)}k` : String(v))}
          />
          <Tooltip formatter={(v, name) => [Number(v).toLocaleString('en-US'), String(name)]} />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          {scored.map((c, i) => (
            <Bar
              key={c.modelVersion}
              dataKey={c.modelVersion}
              fill={SERIES_COLORS[(i + 1) % SERIES_COLORS.length]}
              isAnimationActive={false}
            />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
