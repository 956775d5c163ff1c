// The TLC zone table for pickers and labels. Read once per process from the configured path;
// when no table is configured the console falls back to bare zone IDs (null here).
import fs from 'node:fs/promises';
import { parseZoneLookup, type TZone } from '@tripcast/model';
import { getEnv } from '~/env';

export type TZoneTable = { path: string; zones: TZone[] };

const holder = globalThis as typeof globalThis & { __tripcastZones?: Promise<TZoneTable | null> };

export async function readZoneTable(path: string | null): Promise<TZoneTable | null> {
  if (!path) return null;
  const csv = await fs.readFile(path, 'utf8');
  return { path, zones: parseZoneLookup(csv) };
}

export function getZoneTable(): Promise<TZoneTable | null> {
  holder.__tripcastZones ??= readZoneTable(getEnv().zoneLookupPath).catch((error: unknown) => {
    holder.__tripcastZones = undefined; // retry on the next request: the file may appear later
    throw error;
  });
  return holder.__tripcastZones;
}
