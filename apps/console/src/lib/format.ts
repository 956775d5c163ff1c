// Display helpers shared by the pages. Pure, so both server and client can use them.

const numberFormat = new Intl.NumberFormat('en-US');

export function formatCount(n: number | null | undefined): string {
  return n == null ? '—' : numberFormat.format(n);
}

export function formatMinutes(n: number | null | undefined, digits = 1): string {
  return n == null || Number.isNaN(n) ? '—' : `${n.toFixed(digits)} min`;
}

/** Two decimals below 10 miles (0.05 mi is a real short trip), one above. */
export function formatMiles(n: number | null | undefined): string {
  return n == null || Number.isNaN(n) ? '—' : n.toFixed(n < 10 ? 2 : 1);
}

export function formatMs(n: number | null | undefined): string {
  if (n == null || Number.isNaN(n)) return '—';
  return n < 10 ? `${n.toFixed(2)} ms` : `${n.toFixed(0)} ms`;
}

export function formatDateTime(d: Date | string | null | undefined): string {
  if (!d) return '—';
  const date = typeof d === 'string' ? new Date(d) : d;
  return date.toLocaleString('en-US', {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
  });
}

/** Month, day and time: enough for tables of recent events. */
export function formatShortDateTime(d: Date | string | null | undefined): string {
  if (!d) return '—';
  const date = typeof d === 'string' ? new Date(d) : d;
  return date.toLocaleString('en-US', {
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
  });
}

export function formatRelative(d: Date | string | null | undefined, now = Date.now()): string {
  if (!d) return '—';
  const t = (typeof d === 'string' ? new Date(d) : d).getTime();
  const s = Math.round((now - t) / 1000);
  if (s < 5) return 'just now';
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}

export function formatMonth(year: number, month: number): string {
  return `${year}-${String(month).padStart(2, '0')}`;
}

export function formatPercent(x: number | null | undefined): string {
  return x == null ? '—' : `${Math.round(x * 100)}%`;
}

/** A length of time for people: `850 ms`, `42 s`, `3 min 05 s`, `1 h 02 min`. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms == null || Number.isNaN(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const pad = (n: number) => String(n).padStart(2, '0');
  if (s < 3600) return `${Math.floor(s / 60)} min ${pad(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${pad(Math.floor((s % 3600) / 60))} min`;
}

/** How long a run took (finished) or has been going (started, not finished); null before it starts. */
export function runDurationMs(
  run: { startedAt: Date | string | null; finishedAt: Date | string | null },
  now = Date.now(),
): number | null {
  if (!run.startedAt) return null;
  const end = run.finishedAt ? new Date(run.finishedAt).getTime() : now;
  return end - new Date(run.startedAt).getTime();
}
