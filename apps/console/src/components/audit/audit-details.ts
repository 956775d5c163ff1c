// An audit entry's `details` JSON as readable "label: value" pairs. Nested objects become dotted
// labels (`metrics.validation.rmse`), lists of plain values a comma list, numbers are rounded.
export type TDetailPair = { label: string; value: string };

const MAX_PAIRS = 12;

function formatValue(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(Number(value.toFixed(4)));
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

export function flattenAuditDetails(details: unknown): TDetailPair[] {
  if (details === null || details === undefined) return [];
  if (typeof details !== 'object' || Array.isArray(details))
    return [{ label: 'details', value: formatValue(details) }];
  const pairs: TDetailPair[] = [];
  const walk = (value: unknown, label: string, depth: number) => {
    if (Array.isArray(value)) {
      const isPlain = value.every((v) => v === null || typeof v !== 'object');
      pairs.push({ label, value: isPlain ? value.map(formatValue).join(', ') : `${value.length} items` });
    } else if (value !== null && typeof value === 'object' && depth < 3) {
      for (const [key, inner] of Object.entries(value)) walk(inner, label ? `${label}.${key}` : key, depth + 1);
    } else {
      pairs.push({ label, value: formatValue(value) });
    }
  };
  walk(details, '', 0);
  return pairs.length > MAX_PAIRS
    ? [...pairs.slice(0, MAX_PAIRS), { label: '…', value: `${pairs.length - MAX_PAIRS} more` }]
    : pairs;
}
