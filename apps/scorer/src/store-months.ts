// Which months the store can score: the TLC files under <store>/trip-data (a folder or s3://),
// Parquet or CSV. The console's trigger form lists them and the launcher refuses a month that is
// not there before a run record exists; `scorer run` without --input reads the store's file.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { isS3Uri, joinUri, listObjects, objectExists, writeObject, type TS3Options } from '@tripcast/model/object-store';
import { parseTripFileName, readTripMonth } from '@tripcast/model/trips';

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

/** Far above a TLC month (green ~1-3 MB, yellow ~50 MB), low enough to refuse an accidental upload. */
export const MAX_STORE_MONTH_BYTES = 256 * 1024 * 1024;

/** An uploaded month the store does not take (its name, size or content): nothing was written. */
export class StoreMonthRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreMonthRefusedError';
  }
}

/**
 * Put an uploaded TLC month into <store>/trip-data, where the batch form and the Training page
 * find it. Refused before anything is written: a name that is not the TLC's own
 * (`green_tripdata_2021-01.parquet`, `.csv`, `.csv.gz`), an empty or too large file, a month the
 * store already has (unless `replace`), or a file the trip reader cannot read (it reads the first
 * chunk, so a wrong column set or a corrupt file is named now, not in a job later).
 */
export async function addStoreMonth(
  storeUri: string,
  file: { name: string; bytes: Uint8Array },
  options: { s3?: TS3Options; replace?: boolean } = {},
): Promise<TStoreMonth> {
  const parsed = parseTripFileName(file.name);
  if (!parsed || path.basename(file.name) !== file.name || !/^(yellow|green|fhv)_tripdata_/.test(file.name))
    throw new StoreMonthRefusedError(
      `${file.name}: name the file as the TLC does, e.g. green_tripdata_2021-01.parquet (or .csv, .csv.gz)`,
    );
  if (file.bytes.byteLength === 0) throw new StoreMonthRefusedError(`${file.name} is empty`);
  if (file.bytes.byteLength > MAX_STORE_MONTH_BYTES)
    throw new StoreMonthRefusedError(`${file.name} is larger than ${MAX_STORE_MONTH_BYTES / 1024 / 1024} MiB`);
  const existing = await findStoreMonth(storeUri, parsed, options);
  if (existing && !options.replace)
    throw new StoreMonthRefusedError(
      `the store already has ${parsed.taxiType} ${parsed.year}-${String(parsed.month).padStart(2, '0')}`,
    );
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tripcast-month-'));
  try {
    const local = path.join(dir, file.name);
    await writeFile(local, file.bytes);
    try {
      const reader = readTripMonth(local);
      await reader.next();
      await reader.return(undefined);
    } catch (error) {
      throw new StoreMonthRefusedError(
        `${file.name} is not a readable TLC month: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const uri = joinUri(tripDataRoot(storeUri), file.name);
  await writeObject(uri, file.bytes, options);
  return { ...parsed, uri };
}
