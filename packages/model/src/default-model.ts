// First start: make sure the default model has a production version, training one on the data
// at hand when there is none. Built on the model store (store.ts) for registering and promoting.
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import {
  getProductionModelVersion,
  listModelVersions as listModelVersionRows,
  type TModelVersionRow,
} from '@tripcast/db/queries/models';

import { joinUri, objectExists, uploadFile } from './object-store';
import { promoteModel, registerModel, type TStoreContext } from './store';
import { trainModel, type TTrainResult } from './training/train';
import { generateTripMonth } from './trips/generate';
import { parseTripFileName } from './trips/read';
import { localizeTripFile, tlcMonthUrl, type TLocalFile } from './trips/source';

export type TEnsureDefaultModelOptions = TStoreContext & {
  name: string;
  actor?: string;
  /** A folder of TLC months (TLC_DATA_DIR): the first green/yellow month found trains the model. */
  tlcDataDir?: string;
  /** Try the TLC's green 2021-01 (and 2021-02 for validation) when no folder is configured. */
  allowDownload?: boolean;
  downloadTimeoutMs?: number;
  /** Base URL of the TLC's trip-data files (tests point it at a local server). */
  tlcBaseUrl?: string;
  /** Rows of the generated month used when nothing else is available. */
  generatedRows?: number;
  /** Also copy the training month to `<store>/trip-data/` so a batch run has a month to score. */
  seedTripData?: boolean;
  log?: (message: string) => void;
};

export type TEnsureDefaultModelResult = {
  row: TModelVersionRow;
  action: 'existing' | 'promoted-existing' | 'trained';
  source?: 'tlc-data-dir' | 'tlc-download' | 'generated';
};

async function findLocalMonths(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const names = (await readdir(dir)).filter((f) => {
    const parsed = parseTripFileName(f);
    return parsed !== null && parsed.taxiType !== 'fhv'; // fhv has no trip_distance to train on
  });
  // green 2021-01 (the course's month) first, then the rest in name order
  return names
    .sort(
      (a, b) =>
        Number(b.startsWith('green_tripdata_2021-01')) -
          Number(a.startsWith('green_tripdata_2021-01')) || a.localeCompare(b),
    )
    .map((f) => path.join(dir, f));
}

function nextMonthFile(file: string): string {
  const parsed = parseTripFileName(path.basename(file))!;
  const year = parsed.month === 12 ? parsed.year + 1 : parsed.year;
  const month = (parsed.month % 12) + 1;
  return path.join(
    path.dirname(file),
    `${parsed.taxiType}_tripdata_${year}-${String(month).padStart(2, '0')}.parquet`,
  );
}

/** The earliest month after `file` among `months` with the same taxi type, if any. */
function laterMonthOf(file: string, months: string[]): string | undefined {
  const parsed = parseTripFileName(path.basename(file))!;
  const key = (p: { year: number; month: number }) => p.year * 12 + p.month;
  return months
    .map((m) => ({ m, p: parseTripFileName(path.basename(m))! }))
    .filter(({ p }) => p.taxiType === parsed.taxiType && key(p) > key(parsed))
    .sort((a, b) => key(a.p) - key(b.p))[0]?.m;
}

/**
 * First start: make sure `name` has a production version. Uses, in order: a production version
 * already there; the newest registered version (promoted); or a model trained now on the data at
 * hand — a TLC month in `tlcDataDir`, the TLC's green 2021-01 downloaded (unless opted out), or a
 * generated month. Nothing binary is committed to the repository.
 */
export async function ensureDefaultModel(
  options: TEnsureDefaultModelOptions,
): Promise<TEnsureDefaultModelResult> {
  // Two first starts at once (two `npm start`, two bootstrap tasks) must not both train and
  // promote: a transaction-scoped advisory lock per model name serialises them; the second then
  // finds the first one's production version. The lock's connection does no other work.
  return options.db.$transaction(
    async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(${BOOTSTRAP_LOCK_KEY}::int, hashtext(${options.name}))`;
      return ensureDefaultModelUnlocked(options);
    },
    { maxWait: 60_000, timeout: 30 * 60_000 },
  );
}

/** Any constant; the second key is the model name's hash. */
const BOOTSTRAP_LOCK_KEY = 0x7ca5;

async function ensureDefaultModelUnlocked(
  options: TEnsureDefaultModelOptions,
): Promise<TEnsureDefaultModelResult> {
  const log = options.log ?? ((message: string) => console.log(message));
  const actor = options.actor ?? 'bootstrap';
  const existing = await getProductionModelVersion(options.db, options.name);
  if (existing) {
    log(`production model ${existing.name}@${existing.version} already registered`);
    return { row: existing, action: 'existing' };
  }
  const [newest] = await listModelVersionRows(options.db, { name: options.name });
  if (newest) {
    log(`no production model; promoting the newest registered version ${newest.version}`);
    return {
      row: await promoteModel(options.db, { name: options.name, version: newest.version, actor }),
      action: 'promoted-existing',
    };
  }

  const cleanups: (() => Promise<void>)[] = [];
  try {
    const months = await findTrainingMonths(options, { log, cleanups });
    const promoted = await trainAndPromote(options, { ...months, log, actor });
    if (options.seedTripData ?? true) await seedTripData(options, months, log);
    return { row: promoted, action: 'trained', source: months.source };
  } finally {
    for (const cleanup of cleanups) await cleanup();
  }
}

type TTrainingMonths = {
  trainFile: TLocalFile;
  validationFile?: TLocalFile;
  source: NonNullable<TEnsureDefaultModelResult['source']>;
  isSynthetic: boolean;
};

/**
 * The months to train and validate on, first found wins: a TLC month in `tlcDataDir`, the TLC's
 * green 2021-01 downloaded (when allowed), or a generated month. Temporary files register their
 * cleanup in `cleanups`.
 */
async function findTrainingMonths(
  options: TEnsureDefaultModelOptions,
  context: { log: (message: string) => void; cleanups: (() => Promise<void>)[] },
): Promise<TTrainingMonths> {
  const { log, cleanups } = context;
  if (options.tlcDataDir) {
    const months = await findLocalMonths(options.tlcDataDir);
    const [month] = months;
    if (month) {
      // Validate on the next month, else on the next later month of the same taxi type at hand
      // (green 2021-01 -> 2021-03 in ../shared/data: the shared split), so the card has metrics.
      const next = existsSync(nextMonthFile(month))
        ? nextMonthFile(month)
        : laterMonthOf(month, months);
      return {
        trainFile: { path: month, uri: month, cleanup: async () => {} },
        validationFile: next ? { path: next, uri: next, cleanup: async () => {} } : undefined,
        source: 'tlc-data-dir',
        isSynthetic: false,
      };
    }
    log(`TLC_DATA_DIR ${options.tlcDataDir} has no yellow/green TLC month`);
  }
  if (options.allowDownload) {
    const url = tlcMonthUrl('green', 2021, 1, options.tlcBaseUrl);
    try {
      log(`downloading ${url} (set TRIPCAST_NO_DOWNLOAD=true to skip)`);
      const trainFile = await localizeTripFile(url, { timeoutMs: options.downloadTimeoutMs ?? 20_000 });
      cleanups.push(trainFile.cleanup);
      const validationFile = await localizeTripFile(tlcMonthUrl('green', 2021, 2, options.tlcBaseUrl), {
        timeoutMs: options.downloadTimeoutMs ?? 20_000,
      }).catch(() => undefined);
      if (validationFile) cleanups.push(validationFile.cleanup);
      return { trainFile, validationFile, source: 'tlc-download', isSynthetic: false };
    } catch (error) {
      log(`TLC download failed (${(error as Error).message}); using a generated month`);
    }
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'tripcast-bootstrap-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const rows = options.generatedRows ?? 200_000;
  log(`generating a synthetic green 2021-01 month (${rows.toLocaleString('en-US')} trips, seed 1)`);
  const train = await generateTripMonth({
    taxiType: 'green',
    year: 2021,
    month: 1,
    rows,
    seed: 1,
    outPath: dir,
  });
  const validation = await generateTripMonth({
    taxiType: 'green',
    year: 2021,
    month: 2,
    rows: Math.ceil(rows / 2),
    seed: 2,
    outPath: dir,
  });
  return {
    trainFile: {
      path: train.path,
      uri: `generated:${path.basename(train.path)}?seed=1`,
      cleanup: async () => {},
    },
    validationFile: {
      path: validation.path,
      uri: `generated:${path.basename(validation.path)}?seed=2`,
      cleanup: async () => {},
    },
    source: 'generated',
    isSynthetic: true,
  };
}

/** Trains on the months found, registers the result and promotes it to production. */
async function trainAndPromote(
  options: TEnsureDefaultModelOptions,
  context: TTrainingMonths & { log: (message: string) => void; actor: string },
): Promise<TModelVersionRow> {
  const { trainFile, validationFile, source, isSynthetic, log, actor } = context;
  log(
    `training ${options.name} on ${trainFile.uri}${validationFile ? `, validating on ${validationFile.uri}` : ''}`,
  );
  const result: TTrainResult = await trainModel({
    trainFiles: [trainFile.path],
    validationFile: validationFile?.path,
    name: options.name,
    isSynthetic,
    description: `Default model trained at first start from ${source === 'generated' ? 'a generated month' : trainFile.uri}`,
    sourceUris: Object.fromEntries(
      [trainFile, validationFile].filter((f) => f !== undefined).map((f) => [f.path, f.uri]),
    ),
  });
  const row = await registerModel({ ...options, onnx: result.onnx, card: result.card, actor });
  const promoted = await promoteModel(options.db, {
    name: options.name,
    version: row.version,
    actor,
  });
  const validation = result.card.metrics.validation;
  log(
    `registered and promoted ${promoted.name}@${promoted.version} (train RMSE ${result.card.metrics.train?.rmse.toFixed(3)}` +
      `${validation ? `, validation RMSE ${validation.rmse.toFixed(3)}` : ''} min)`,
  );
  return promoted;
}

/** Copies the training months to `<store>/trip-data/` so a batch run has a month to score. */
async function seedTripData(
  options: TEnsureDefaultModelOptions,
  months: TTrainingMonths,
  log: (message: string) => void,
): Promise<void> {
  for (const file of [months.trainFile, months.validationFile]) {
    if (!file) continue;
    const target = joinUri(options.storeUri, 'trip-data', path.basename(file.path));
    if (!(await objectExists(target, options))) {
      await uploadFile(file.path, target, options);
      log(`copied ${path.basename(file.path)} to ${target} for batch demos`);
    }
  }
}
