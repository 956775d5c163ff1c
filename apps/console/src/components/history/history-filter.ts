// The History page's filters as URL search parameters, so a refresh or a shared link shows the same
// rows. The names and formats are those of the CSV export (`/api/history/export`), so the page's
// query string is also the export's: `sources=online,batch&modelVersion=..&role=..&zoneId=..&from=ISO&to=ISO`.

/** The sources of `prediction_history` ∪ `batch_predictions` (the server's ZHistorySource). */
export const HISTORY_SOURCES = ['online', 'stream', 'batch'] as const;
export type THistorySource = (typeof HISTORY_SOURCES)[number];

/** The part the row's model played (prediction_history.role; batch rows are production's). */
export const HISTORY_ROLES = ['production', 'challenger', 'canary'] as const;
export type THistoryRole = (typeof HISTORY_ROLES)[number];

export type THistoryPageFilter = {
  sources: THistorySource[];
  modelVersion: string;
  /** '' = any role. */
  role: THistoryRole | '';
  zoneId: number | null;
  /** ISO instants (UTC), or '' when open. */
  from: string;
  to: string;
  page: number;
};

const isSource = (s: string): s is THistorySource => (HISTORY_SOURCES as readonly string[]).includes(s);
const readInstant = (v: string | null) => (v && !Number.isNaN(Date.parse(v)) ? new Date(v).toISOString() : '');

/** Lenient: a hand-edited or stale link drops what it cannot read instead of failing the page. */
export function readHistoryFilter(params: URLSearchParams): THistoryPageFilter {
  const sources = (params.get('sources') ?? '').split(',').filter(isSource);
  const zoneId = Number(params.get('zoneId'));
  const page = Number(params.get('page'));
  return {
    sources: sources.length > 0 ? [...new Set(sources)] : [...HISTORY_SOURCES],
    modelVersion: params.get('modelVersion')?.trim() ?? '',
    role: (HISTORY_ROLES as readonly string[]).includes(params.get('role') ?? '') ? (params.get('role') as THistoryRole) : '',
    zoneId: Number.isInteger(zoneId) && zoneId >= 1 && zoneId <= 265 ? zoneId : null,
    from: readInstant(params.get('from')),
    to: readInstant(params.get('to')),
    page: Number.isInteger(page) && page > 1 ? page : 1,
  };
}

/** Only what differs from the defaults, so the plain page stays `/history`. */
export function writeHistoryFilter(
  filter: THistoryPageFilter,
  { withPage = true }: { withPage?: boolean } = {},
): URLSearchParams {
  const p = new URLSearchParams();
  if (filter.sources.length < HISTORY_SOURCES.length) p.set('sources', filter.sources.join(','));
  if (filter.modelVersion) p.set('modelVersion', filter.modelVersion);
  if (filter.role) p.set('role', filter.role);
  if (filter.zoneId) p.set('zoneId', String(filter.zoneId));
  if (filter.from) p.set('from', filter.from);
  if (filter.to) p.set('to', filter.to);
  if (withPage && filter.page > 1) p.set('page', String(filter.page));
  return p;
}

export function isDefaultHistoryFilter(filter: THistoryPageFilter): boolean {
  return writeHistoryFilter(filter, { withPage: false }).size === 0;
}

/** ISO instant → the `<input type="datetime-local">` value in the browser's time zone. */
export function toLocalInput(iso: string): string {
  if (!iso) return '';
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** `<input type="datetime-local">` value (local time) → ISO instant, or '' when empty. */
export function fromLocalInput(value: string): string {
  return value && !Number.isNaN(Date.parse(value)) ? new Date(value).toISOString() : '';
}
