// CSV export of the prediction history: the History page's filters as query parameters,
// streamed in pages so a large export never sits in memory.
import { z } from 'zod';
import type { TZone } from '@tripcast/model';
import type { TDb } from './db';
import {
  HISTORY_SOURCES,
  iterateHistory,
  type THistoryFilter,
  type THistoryRow,
} from '@tripcast/db/queries/history';
import { ZHistoryFilter } from './history-filter';

export const MAX_EXPORT_ROWS = 200_000;

/** A history row plus the zone names of its IDs (from the TLC zone table, when configured). */
type TCsvRow = THistoryRow & {
  puBorough: string | null;
  puZone: string | null;
  doBorough: string | null;
  doZone: string | null;
};

// Zone names sit next to their IDs: an analyst opening the file in a spreadsheet should not
// need a VLOOKUP against taxi_zone_lookup.csv to read where a trip went.
const CSV_COLUMNS: (keyof TCsvRow)[] = [
  'predictedAt',
  'source',
  'status',
  'rideId',
  'puLocationId',
  'puBorough',
  'puZone',
  'doLocationId',
  'doBorough',
  'doZone',
  'tripDistance',
  'predictedDuration',
  'actualDuration',
  'modelVersion',
  'role',
  'latencyMs',
  'reason',
  'runId',
];

/** `?sources=online,batch&modelVersion=..&role=..&zoneId=..&from=ISO&to=ISO` → a validated filter. */
export function parseHistorySearchParams(params: URLSearchParams): THistoryFilter {
  const optionalDate = z.iso
    .datetime({ offset: true })
    .transform((s) => new Date(s))
    .optional();
  const raw = z
    .object({
      sources: z.string().optional(),
      modelVersion: z.string().optional(),
      role: z.string().optional(),
      zoneId: z.coerce.number().int().optional(),
      from: optionalDate,
      to: optionalDate,
    })
    .parse(Object.fromEntries(params));
  return ZHistoryFilter.parse({
    sources: raw.sources ? raw.sources.split(',').filter(Boolean) : [...HISTORY_SOURCES],
    modelVersion: raw.modelVersion || undefined,
    roles: raw.role ? [raw.role] : undefined,
    zoneId: raw.zoneId,
    from: raw.from,
    to: raw.to,
  });
}

function csvCell(value: TCsvRow[keyof TCsvRow]): string {
  if (value == null) return '';
  const text = value instanceof Date ? value.toISOString() : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * The CSV of the filtered history, streamed page by page. `zones` is the TLC zone table (null when
 * none is configured: the name columns are then empty, the IDs are always there).
 */
export function streamHistoryCsv(
  db: TDb,
  filter: THistoryFilter,
  zones: readonly TZone[] | null = null,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const byId = new Map((zones ?? []).map((z) => [z.locationId, z]));
  const withZones = (row: THistoryRow): TCsvRow => {
    const pu = row.puLocationId == null ? undefined : byId.get(row.puLocationId);
    const dropoff = row.doLocationId == null ? undefined : byId.get(row.doLocationId);
    return {
      ...row,
      puBorough: pu?.borough ?? null,
      puZone: pu?.zone ?? null,
      doBorough: dropoff?.borough ?? null,
      doZone: dropoff?.zone ?? null,
    };
  };
  const pages = iterateHistory(db, { filter, batchSize: 5000, maxRows: MAX_EXPORT_ROWS });
  let isHeaderSent = false;
  return new ReadableStream({
    async pull(controller) {
      if (!isHeaderSent) {
        isHeaderSent = true;
        controller.enqueue(encoder.encode(CSV_COLUMNS.join(',') + '\n'));
        return;
      }
      // A pull that neither enqueues nor closes is not called again (a pending read would hang),
      // so skip empty pages until there is something to send or nothing left.
      for (;;) {
        const next = await pages.next();
        if (next.done) {
          controller.close();
          return;
        }
        const lines = next.value
          .map(withZones)
          .map((row) => CSV_COLUMNS.map((c) => csvCell(row[c])).join(','))
          .join('\n');
        if (lines) {
          controller.enqueue(encoder.encode(lines + '\n'));
          return;
        }
      }
    },
    async cancel() {
      await pages.return(undefined);
    },
  });
}
