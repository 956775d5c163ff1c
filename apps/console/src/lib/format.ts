// Display helpers shared by the pages. Pure, so both server and client can use them.

const numberFormat = new Intl.NumberFormat('en-US');

export function formatCount(n: number | null | undefined): string {
  return n == null ? '—' : numberFormat.format(n);
}

export function formatMinutes(n: number | null | undefined, digits = 1): string {
  return n == null || Number.isNaN(n) ? '—' : `${n.toFixed(digits)} min`;
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
