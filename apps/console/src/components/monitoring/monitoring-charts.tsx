'use client';

// The Monitoring page's charts (recharts, as every console chart): error by month, a drift measure
// over time against its thresholds, and one measurement's reference-vs-current distributions. Each
// clips its overflow: recharts leaves a hidden tooltip where the pointer last was, which after a
// window resize sat past the page's edge and made the page scroll sideways.
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { DISTANCE_BIN_EDGES, PREDICTION_BIN_EDGES } from '@tripcast/model/monitoring';

/** One colour per version, in the order the page lists them (production first). */
const PALETTE = [
  'var(--color-primary)',
  'var(--color-warning)',
  'var(--color-success)',
  'var(--color-danger)',
  '#7c3aed',
  '#0891b2',
];
export const colorOf = (index: number) => PALETTE[index % PALETTE.length]!;

export function ErrorByMonthChart({
  points,
  versions,
  referenceRmse,
}: {
  points: { label: string; modelVersion: string; rmse: number | null; mae: number | null }[];
  versions: string[];
  referenceRmse: number | null;
}) {
  const labels = [...new Set(points.map((p) => p.label))].sort();
  const data = labels.map((label) => {
    const row: Record<string, string | number | null> = { label };
    for (const p of points.filter((q) => q.label === label)) {
      row[`RMSE ${p.modelVersion}`] = p.rmse;
      row[`MAE ${p.modelVersion}`] = p.mae;
    }
    return row;
  });
  return (
    <div
      className="h-72 overflow-hidden"
      role="img"
      aria-label="RMSE and MAE by scored month, per model version"
      data-testid="error-by-month-chart"
    >
      <ResponsiveContainer width="100%" height="100%">
        <LineChart data={data} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="var(--color-border)" />
          <XAxis dataKey="label" tick={{ fontSize: 11 }} />
          <YAxis tick={{ fontSize: 11 }} unit=" min" width={64} domain={[0, 'auto']} />
          <Tooltip formatter={(v) => (typeof v === 'number' ? `${v.toFixed(2)} min` : String(v))} />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          {referenceRmse !== null && (
            <ReferenceLine
              y={referenceRmse}
              stroke="var(--color-muted-foreground)"
              strokeDasharray="4 4"
              label={{
                value: `validation RMSE ${referenceRmse.toFixed(2)}`,
                fontSize: 11,
                position: 'insideTopRight',
              }}
            />
          )}
          {versions.flatMap((version, i) => [
            <Line
              key={`rmse-${version}`}
              type="monotone"
              dataKey={`RMSE ${version}`}
              stroke={colorOf(i)}
              strokeWidth={2}
              connectNulls
              isAnimationActive={false}
            />,
            <Line
              key={`mae-${version}`}
              type="monotone"
              dataKey={`MAE ${version}`}
              stroke={colorOf(i)}
              strokeDasharray="5 4"
              connectNulls
              isAnimationActive={false}
            />,
          ])}
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}

export function DriftOverTimeChart({
  points,
  versions,
  measureLabel,
  watch,
  alert,
  isShare,
  onSelect,
}: {
  points: { id: string; label: string; modelVersion: string; value: number | null }[];
  versions: string[];
  measureLabel: string;
  watch: number;
  alert: number;
  isShare: boolean;
  onSelect: (id: string) => void;
}) {
  const labels = [...new Set(points.map((p) => p.label))].sort();
  const data = labels.map((label) => {
    const row: Record<string, string | number | null> = { label };
    for (const p of points.filter((q) => q.label === label)) {
      row[p.modelVersion] = p.value;
      row[`id ${p.modelVersion}`] = p.id;
    }
    return row;
  });
  const format = (v: number) => (isShare ? `${(v * 100).toFixed(1)}%` : v.toFixed(3));
  const top = Math.max(alert * 1.2, ...points.map((p) => p.value ?? 0));
  return (
    <div
      className="h-72 overflow-hidden"
      role="img"
      aria-label={`${measureLabel} over time against the watch and alert thresholds`}
      data-testid="drift-over-time-chart"
    >
      <ResponsiveContainer width="100%" height="100%">
        <LineChart data={data} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="var(--color-border)" />
          <XAxis dataKey="label" tick={{ fontSize: 11 }} />
          <YAxis
            tick={{ fontSize: 11 }}
            width={64}
            domain={[0, Number(top.toPrecision(2))]}
            tickFormatter={format}
          />
          <Tooltip formatter={(v) => (typeof v === 'number' ? format(v) : String(v))} />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          <ReferenceLine
            y={watch}
            stroke="var(--color-warning)"
            strokeDasharray="4 4"
            label={{ value: `watch ${format(watch)}`, fontSize: 11, position: 'insideTopLeft' }}
          />
          <ReferenceLine
            y={alert}
            stroke="var(--color-danger)"
            strokeDasharray="4 4"
            label={{ value: `alert ${format(alert)}`, fontSize: 11, position: 'insideTopLeft' }}
          />
          {versions.map((version, i) => (
            <Line
              key={version}
              type="monotone"
              dataKey={version}
              stroke={colorOf(i)}
              strokeWidth={2}
              connectNulls
              isAnimationActive={false}
              activeDot={{
                r: 6,
                cursor: 'pointer',
                onClick: (_event: unknown, dot: unknown) => {
                  const payload = (dot as { payload?: Record<string, unknown> }).payload;
                  const id = payload?.[`id ${version}`];
                  if (typeof id === 'string') onSelect(id);
                },
              }}
            />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}

export type THistograms = {
  rows: number;
  distance: number[];
  pickupZones: number[];
  dropoffZones: number[];
  hourOfWeek: number[];
  prediction: number[];
};
export type TDistributionFeature =
  'distance' | 'prediction' | 'hourOfWeek' | 'pickupZones' | 'dropoffZones';

const binLabels = (edges: readonly number[], unit: string) =>
  edges.map(
    (e, i) =>
      (i + 1 < edges.length ? `${e}–${edges[i + 1]}` : `${e}+`) + (i === 0 ? ` ${unit}` : ''),
  );
const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const TOP_ZONES = 15;

/** Shares of each bin (the "unknown" hour slot left out), labelled; zones: the most common ones of either side. */
export function overlayData(
  feature: TDistributionFeature,
  reference: THistograms,
  current: THistograms,
  /** A zone's name (the console's zone table), for the zone mixes. */
  zoneName: (id: number) => string | null = () => null,
) {
  let ref = reference[feature];
  let cur = current[feature];
  let labels: string[];
  if (feature === 'distance') labels = binLabels(DISTANCE_BIN_EDGES, 'mi');
  else if (feature === 'prediction') labels = binLabels(PREDICTION_BIN_EDGES, 'min');
  else if (feature === 'hourOfWeek') {
    ref = ref.slice(0, 168);
    cur = cur.slice(0, 168);
    labels = Array.from(
      { length: 168 },
      (_, h) => `${DAYS[Math.floor(h / 24)]} ${String(h % 24).padStart(2, '0')}h`,
    );
  } else
    labels = ref.map((_, zone) => (zone === 0 ? 'unknown' : (zoneName(zone) ?? `zone ${zone}`)));
  const total = (xs: number[]) => xs.reduce((a, b) => a + b, 0) || 1;
  const [rt, ct] = [total(ref), total(cur)];
  let rows = labels.map((label, i) => ({
    label,
    reference: (ref[i] ?? 0) / rt,
    current: (cur[i] ?? 0) / ct,
  }));
  if (feature === 'pickupZones' || feature === 'dropoffZones') {
    rows = rows
      .filter((r) => r.reference > 0 || r.current > 0)
      .sort((a, b) => Math.max(b.reference, b.current) - Math.max(a.reference, a.current))
      .slice(0, TOP_ZONES);
  }
  return rows;
}

export function DistributionOverlay({
  data,
  label,
}: {
  data: { label: string; reference: number; current: number }[];
  label: string;
}) {
  return (
    <div
      className="h-72 overflow-hidden"
      role="img"
      aria-label={`${label}: reference (training) and current shares`}
      data-testid="distribution-overlay"
    >
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data} margin={{ top: 8, right: 16, bottom: 8, left: 0 }} barGap={0}>
          <CartesianGrid strokeDasharray="3 3" stroke="var(--color-border)" vertical={false} />
          <XAxis
            dataKey="label"
            tick={{ fontSize: 10 }}
            interval="preserveStartEnd"
            // Zone names are long: the axis shows their start, the tooltip the whole name.
            tickFormatter={(v: string) => (v.length > 14 ? `${v.slice(0, 13)}…` : v)}
          />
          <YAxis
            tick={{ fontSize: 11 }}
            width={56}
            tickFormatter={(v: number) => `${(v * 100).toFixed(0)}%`}
          />
          <Tooltip
            formatter={(v) => (typeof v === 'number' ? `${(v * 100).toFixed(2)}%` : String(v))}
          />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          <Bar
            dataKey="reference"
            name="reference (training)"
            fill="var(--color-muted-foreground)"
            fillOpacity={0.5}
            isAnimationActive={false}
          />
          <Bar
            dataKey="current"
            name="current"
            fill="var(--color-primary)"
            fillOpacity={0.8}
            isAnimationActive={false}
          />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
