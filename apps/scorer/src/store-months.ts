// Which months the store can score: the TLC files under <store>/trip-data (a folder or s3://),
// Parquet or CSV. The console's trigger form lists them and the launcher refuses a month that is
// not there before a run record exists; `scorer run` without --input reads the store's file.
import path from 'node:path';

import { isS3Uri, joinUri, listObjects, objectExists, type TS3Options } from '@tripcast/model/object-store';
import { parseTripFileName } from '@tripcast/model/trips';

import type { TMonth } from './month';
import { DEFAULT_INPUT_FILE, formatPattern, type TTaxiType } from './paths';

export type TStoreMonth = TMonth & { taxiType: TTaxiType; uri: string };

/** Preference when a month is there in several forms: Parquet (smallest, typed) first. */
const EXTENSIONS = ['.parquet', '.csv.gz', '.csv'] as const;

export function tripDataRoot(storeUri: string): string {
  return joinUri(storeUri, 'trip-data');
}

/** Every month in <store>/trip-data, newest first, one entry per taxi type and month. */
export async function listStoreMonths(storeUri: string, options: { s3?: TS3Options } = {}): Promise<TStoreMonth[]> {
  const root = tripDataRoot(storeUri);
  const byMonth = new Map<string, TStoreMonth & { rank: number }>();
  for (const uri of await listObjects(root, options)) {
    const name = isS3Uri(uri) ? uri.slice(uri.lastIndexOf('/') + 1) : path.basename(uri);
    const parsed = parseTripFileName(name);
    if (!parsed) continue;
    const rank = EXTENSIONS.findIndex((ext) => name.endsWith(ext));
    const key = `${parsed.taxiType}-${parsed.year}-${parsed.month}`;
    const known = byMonth.get(key);
    if (!known || rank < known.rank) byMonth.set(key, { ...parsed, uri, rank });
  }
  return [...byMonth.values()]
    .map(({ rank: _rank, ...month }) => month)
    .sort((a, b) => b.year - a.year || b.month - a.month || a.taxiType.localeCompare(b.taxiType));
}

/** The store's file for one month (Parquet, else CSV), or null when the store has none. */
export async function findStoreMonth(
  storeUri: string,
  month: TMonth & { taxiType: TTaxiType },
  options: { s3?: TS3Options } = {},
): Promise<TStoreMonth | null> {
  const base = formatPattern(DEFAULT_INPUT_FILE, month).replace(/\.parquet$/, '');
  for (const ext of EXTENSIONS) {
    const uri = joinUri(tripDataRoot(storeUri), `${base}${ext}`);
    if (await objectExists(uri, options)) return { ...month, uri };
  }
  return null;
}

/** How to make a month scorable, for messages and the console's empty state. */
export function describeAddingMonth(storeUri: string, month: TMonth & { taxiType: TTaxiType }): string {
  return `put ${formatPattern(DEFAULT_INPUT_FILE, month)} (or .csv / .csv.gz; from https://d37ci6vzurychx.cloudfront.net/trip-data/) in ${tripDataRoot(storeUri)}`;
}
