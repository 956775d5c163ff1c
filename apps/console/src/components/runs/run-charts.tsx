'use client';

import {
  Bar,
  BarChart,
  CartesianGrid,
  ReferenceLine,
  ResponsiveContainer,
  Scatter,
  ScatterChart,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';

export function DurationHistogram({
  buckets,
}: {
  buckets: { from: number; to: number | null; count: number }[];
}) {
  const data = buckets.map((b) => ({
    label: b.to == null ? `${b.from}+` : `${b.from}–${b.to}`,
    count: b.count,
  }));
  return (
    <div
      className="h-64"
      role="img"
      aria-label="Histogram of predicted durations in minutes"
      data-testid="duration-histogram"
    >
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data} margin={{ top: 8, right: 8, bottom: 16, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="var(--color-border)" vertical={false} />
          <XAxis
            dataKey="label"
            tick={{ fontSize: 11 }}
            label={{
              value: 'predicted minutes',
              position: 'insideBottom',
              offset: -10,
              fontSize: 11,
            }}
          />
          <YAxis
            tick={{ fontSize: 11 }}
            tickFormatter={(v: number) => (v >= 1000 ? `${Math.round(v / 1000)}k` : String(v))}
          />
          <Tooltip formatter={(v) => [Number(v).toLocaleString('en-US'), 'trips']} />
          <Bar
            dataKey="count"
            fill="var(--color-primary)"
            radius={[3, 3, 0, 0]}
            isAnimationActive={false}
          />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

export function PredictedVsActual({ points }: { points: { actual: number; predicted: number }[] }) {
  // Clip the axes at 90 minutes: real months carry multi-day "trips" that would flatten the cloud.
  // A model may predict below 0 for the shortest trips; such a point stretched the axis to a
  // domain like [-0.11, 90] and its ticks to labels like -0.1112705, so both axes keep 0..90.
  const LIMIT = 90;
  const TICKS = [0, 15, 30, 45, 60, 75, 90];
  const isShown = (minutes: number) => minutes >= 0 && minutes <= LIMIT;
  const data = points.filter((p) => isShown(p.actual) && isShown(p.predicted));
  return (
    <div
      className="h-64"
      role="img"
      aria-label="Predicted versus actual minutes, a sample of the run"
      data-testid="pred-vs-actual"
    >
      <ResponsiveContainer width="100%" height="100%">
        <ScatterChart margin={{ top: 8, right: 8, bottom: 16, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="var(--color-border)" />
          <XAxis
            type="number"
            dataKey="actual"
            domain={[0, LIMIT]}
            ticks={TICKS}
            tick={{ fontSize: 11 }}
            label={{ value: 'actual minutes', position: 'insideBottom', offset: -10, fontSize: 11 }}
          />
          <YAxis
            type="number"
            dataKey="predicted"
            domain={[0, LIMIT]}
            ticks={TICKS}
            tick={{ fontSize: 11 }}
            label={{ value: 'predicted', angle: -90, position: 'insideLeft', fontSize: 11 }}
          />
          <Tooltip formatter={(v) => `${Number(v).toFixed(1)} min`} />
          <ReferenceLine
            segment={[
              { x: 0, y: 0 },
              { x: LIMIT, y: LIMIT },
            ]}
            stroke="var(--color-muted-foreground)"
            strokeDasharray="4 4"
          />
          <Scatter
            data={data}
            fill="var(--color-primary)"
            fillOpacity={0.35}
            shape="circle"
            isAnimationActive={false}
          />
        </ScatterChart>
      </ResponsiveContainer>
    </div>
  );
}
