import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';

import { downloadToFile, isS3Uri, ObjectNotFoundError, type TObjectStoreOptions } from '../object-store';
import { convertTripCsvToParquet, isCsvTripFile } from './csv';

export const TLC_TRIP_DATA_URL = 'https://d37ci6vzurychx.cloudfront.net/trip-data';

export function tlcMonthUrl(
  taxiType: string,
  year: number,
  month: number,
  baseUrl = TLC_TRIP_DATA_URL,
): string {
  return `${baseUrl}/${taxiType}_tripdata_${year}-${String(month).padStart(2, '0')}.parquet`;
}

export type TLocalFile = { path: string; uri: string; cleanup: () => Promise<void> };

/**
 * Make a trip month readable as Parquet by DuckDB: local Parquet paths are used in place; s3://
 * objects (SDK, so S3_ENDPOINT_URL works) and https:// URLs are copied to a temp file; a CSV month
 * (.csv, .csv.gz) is converted to a temp Parquet file. cleanup() removes what was made. A missing
 * file fails with `not found: <uri>` before any work.
 */
export async function localizeTripFile(
  uri: string,
  options: TObjectStoreOptions & { timeoutMs?: number } = {},
): Promise<TLocalFile> {
  const isRemote = isS3Uri(uri) || /^https?:\/\//.test(uri);
  if (!isRemote) {
    const info = await stat(uri).catch(() => null);
    if (!info) throw new ObjectNotFoundError(uri);
    if (!info.isFile()) throw new Error(`not a file: ${uri}`);
    if (!isCsvTripFile(uri)) return { path: uri, uri, cleanup: async () => {} };
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'tripcast-month-'));
  const name = isRemote
    ? path.basename(new URL(uri.replace(/^s3:/, 'http:')).pathname) || 'month.parquet'
    : path.basename(uri);
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    let file = isRemote ? path.join(dir, name) : uri;
    if (isS3Uri(uri)) await downloadToFile(uri, file, options);
    else if (isRemote) {
      const response = await fetch(uri, {
        signal: AbortSignal.timeout(options.timeoutMs ?? 120_000),
      });
      if (response.status === 404) throw new ObjectNotFoundError(uri);
      if (!response.ok || !response.body) throw new Error(`GET ${uri}: HTTP ${response.status}`);
      // The DOM and Node typings of ReadableStream differ (apps that compile this with the DOM lib
      // see the DOM one); at run time fetch's body is Node's web stream.
      const body = response.body as unknown as NodeReadableStream<Uint8Array>;
      await pipeline(Readable.fromWeb(body), createWriteStream(file));
    }
    if (isCsvTripFile(file)) {
      // Named like the month's Parquet file, so the file name still tells taxi type and month.
      const parquet = path.join(dir, name.replace(/\.csv(\.gz)?$/i, '.parquet'));
      await convertTripCsvToParquet(file, parquet);
      file = parquet;
    }
    return { path: file, uri, cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
