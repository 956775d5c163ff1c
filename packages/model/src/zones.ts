import { z } from 'zod';

import { MAX_ZONE_ID, MIN_ZONE_ID } from './ride';

export const ZZone = z.object({
  locationId: z.number().int().min(MIN_ZONE_ID).max(MAX_ZONE_ID),
  borough: z.string(),
  zone: z.string(),
  serviceZone: z.string(),
});
export type TZone = z.infer<typeof ZZone>;

/** Split one CSV line, honouring double quotes ("Newark Airport", zones with commas). */
function splitCsvLine(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let isQuoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (isQuoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') isQuoted = false;
      else cell += ch;
    } else if (ch === '"') isQuoted = true;
    else if (ch === ',') {
      cells.push(cell);
      cell = '';
    } else cell += ch;
  }
  cells.push(cell);
  return cells;
}

/**
 * Parse the TLC's `taxi_zone_lookup.csv` (`"LocationID","Borough","Zone","service_zone"`).
 * Throws naming the line on a malformed row, so a bad upload is caught, not half-used.
 */
export function parseZoneLookup(csv: string): TZone[] {
  const lines = csv
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '');
  const header = lines.shift();
  if (!header) throw new Error('zone lookup CSV is empty');
  const columns = splitCsvLine(header).map((c) => c.trim().toLowerCase());
  const at = (name: string) => {
    const index = columns.indexOf(name);
    if (index < 0)
      throw new Error(`zone lookup CSV lacks the column "${name}" (has: ${columns.join(', ')})`);
    return index;
  };
  const [iId, iBorough, iZone, iService] = [
    at('locationid'),
    at('borough'),
    at('zone'),
    at('service_zone'),
  ];
  return lines.map((line, n) => {
    const cells = splitCsvLine(line);
    const parsed = ZZone.safeParse({
      locationId: Number(cells[iId]),
      borough: cells[iBorough] ?? '',
      zone: cells[iZone] ?? '',
      serviceZone: cells[iService] ?? '',
    });
    if (!parsed.success)
      throw new Error(
        `zone lookup CSV line ${n + 2}: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
      );
    return parsed.data;
  });
}

/** LocationID -> zone, for labels in the console and reports. */
export function indexZones(zones: readonly TZone[]): Map<number, TZone> {
  return new Map(zones.map((z) => [z.locationId, z]));
}
