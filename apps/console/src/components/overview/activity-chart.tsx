'use client';

import {
  Area,
  AreaChart,
  CartesianGrid,
  Legend,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';

/**
 * Online and stream side by side, not stacked: stacked areas made the stream band rise and fall
 * with online traffic, as if the two were linked.
 */
export function ActivityChart({
  series,
}: {
  series: { minute: Date; online: number; stream: number }[];
}) {
  const data = series.map((p) => ({
    t: new Date(p.minute).toLocaleTimeString('en-US', {
      hour: '2-digit',
      minute: '2-digit',
      hour12: false,
    }),
    online: p.online,
    stream: p.stream,
  }));
  return (
    <div className="h-56" aria-label="Predictions per minute, last hour" role="img">
      <ResponsiveContainer width="100%" height="100%">
        <AreaChart data={data} margin={{ top: 8, right: 12, bottom: 0, left: -12 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="var(--color-border)" />
          <XAxis dataKey="t" tick={{ fontSize: 11 }} interval={9} />
          <YAxis allowDecimals={false} tick={{ fontSize: 11 }} />
          <Tooltip />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          <Area
            type="monotone"
            dataKey="online"
            stroke="var(--color-primary)"
            fill="var(--color-primary)"
            fillOpacity={0.15}
            isAnimationActive={false}
          />
          <Area
            type="monotone"
            dataKey="stream"
            stroke="var(--color-warning)"
            fill="var(--color-warning)"
            fillOpacity={0.15}
            isAnimationActive={false}
          />
        </AreaChart>
      </ResponsiveContainer>
    </div>
  );
}
