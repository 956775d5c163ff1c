import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type { TDb } from '@tripcast/db/client';
import { recordAudit } from '@tripcast/db/queries/audit';
import {
  createModelVersion,
  getModelVersion,
  getProductionModelVersion,
  listModelVersions as listModelVersionRows,
  promoteModelVersion,
  type TModelVersionRow,
} from '@tripcast/db/queries/models';

import { isSafePathSegment, ZModelCard, type TModelCard } from './model-card';
import {
  joinUri,
  objectExists,
  uploadFile,
  writeObject,
  type TObjectStoreOptions,
} from './object-store';
import {
  assertSelfContainedOnnx,
  CARD_FILE,
  loadModel,
  MODEL_FILE,
  sha256Hex,
  type TLoadedModel,
} from './runtime';
import { trainModel, type TTrainResult } from './training/train';
import { generateTripMonth } from './trips/generate';
import { parseTripFileName } from './trips/read';
import { localizeTripFile, tlcMonthUrl, type TLocalFile } from './trips/source';

export type { TModelVersionRow } from '@tripcast/db/queries/models';

/** Where a version's artifacts live: `<store>/models/<name>/<version>/`. */
export function modelArtifactUri(storeUri: string, name: string, version: string): string {
  // Callers parse name and version at their edge; this is the last line before a write.
  if (!isSafePathSegment(name) || !isSafePathSegment(version)) {
    throw new Error(`model name and version must each be one safe path segment: ${JSON.stringify(name)} ${JSON.stringify(version)}`);
  }
  return joinUri(storeUri, 'models', name, version);
}

export type TStoreContext = TObjectStoreOptions & { db: TDb; storeUri: string };

/**
 * Upload a trained model's artifacts and register it as a candidate (who and when recorded, plus
 * an audit_log row). Artifacts are written before the row: a registered version always has files.
 */
export async function registerModel(
  context: TStoreContext & { onnx: Uint8Array; card: TModelCard; actor: string },
): Promise<TModelVersionRow> {
  const card = ZModelCard.parse(context.card);
  const sha256 = sha256Hex(context.onnx);
  if (sha256 !== card.sha256)
    throw new Error(`card sha256 ${card.sha256} does not match the model bytes (${sha256})`);
  assertSelfContainedOnnx(context.onnx);
  if (await getModelVersion(context.db, { name: card.name, version: card.version })) {
    throw new Error(`model ${card.name} already has a version ${card.version}`);
  }
  const artifactUri = modelArtifactUri(context.storeUri, card.name, card.version);
  await writeObject(joinUri(artifactUri, MODEL_FILE), context.onnx, context);
  await writeObject(joinUri(artifactUri, CARD_FILE), `${JSON.stringify(card, null, 2)}\n`, context);
  const row = await createModelVersion(context.db, {
    name: card.name,
    version: card.version,
    artifactUri,
    sha256,
    card: card,
    createdBy: context.actor,
  });
  await recordAudit(context.db, {
    actor: context.actor,
    action: 'model.register',
    targetType: 'model_version',
    targetId: `${card.name}@${card.version}`,
    details: { artifactUri, sha256, metrics: card.metrics as Record<string, unknown> as never },
  });
  return row;
}

export async function listModelVersions(db: TDb, name?: string): Promise<TModelVersionRow[]> {
  return listModelVersionRows(db, { name });
}

/** Make a version the one production version of its name (the previous one is archived). */
export async function promoteModel(
  db: TDb,
  input: { name: string; version: string; actor: string },
): Promise<TModelVersionRow> {
  return (await promoteModelVersion(db, input)).promoted;
}

/**
 * Put back the version that was in production before the current one: the archived version
 * promoted most recently. Recorded once, as a `model.rollback` audit entry naming both versions,
 * and the version says it came back by a rollback (`promotedVia`).
 */
export async function rollbackModel(
  db: TDb,
  input: { name: string; actor: string },
): Promise<TModelVersionRow> {
  const previous = await findRollbackTarget(db, input.name);
  if (!previous)
    throw new Error(`model ${input.name} has no earlier production version to roll back to`);
  const { promoted } = await promoteModelVersion(db, {
    name: input.name,
    version: previous.version,
    actor: input.actor,
    via: 'rollback',
  });
  return promoted;
}

/** The version a rollback would put back (for a confirmation that names it), or null. */
export async function findRollbackTarget(
  db: TDb,
  name: string,
): Promise<TModelVersionRow | null> {
  const current = await getProductionModelVersion(db, name);
  const candidates = (await listModelVersionRows(db, { name, stage: 'archived' }))
    .filter((row) => row.promotedAt !== null && row.id !== current?.id)
    .sort((a, b) => b.promotedAt!.getTime() - a.promotedAt!.getTime());
  return candidates[0] ?? null;
}

export async function resolveProductionModel(
  db: TDb,
  name: string,
): Promise<TModelVersionRow | null> {
  return getProductionModelVersion(db, name);
}

/** Load a registered version, checking the artifact's sha256 against the registry row too. */
export async function loadRegisteredModel(
  row: TModelVersionRow,
  options: TObjectStoreOptions & { threads?: number } = {},
): Promise<TLoadedModel> {
  const model = await loadModel(row.artifactUri, options);
  if (model.sha256 !== row.sha256) {
    await model.close();
    throw new Error(
      `${row.name}@${row.version}: artifact sha256 ${model.sha256} differs from the registry's ${row.sha256}`,
    );
  }
  return model;
}

export type TProductionModelWatcher = {
  /** The production model now; throws if none has been loaded (see `ready`). */
  current(): TLoadedModel;
  currentOrNull(): TLoadedModel | null;
  /** Resolves with the first loaded model. */
  ready: Promise<TLoadedModel>;
  /** Check the registry now (the poller calls this every intervalMs). */
  refresh(): Promise<void>;
  close(): Promise<void>;
};

export type TWatcherOptions = TObjectStoreOptions & {
  db: TDb;
  name: string;
  /** How often to look for a promotion; default 2,000 ms. */
  intervalMs?: number;
  /** How long a replaced session stays open for predictions already running; default 30 s. */
  retireAfterMs?: number;
  threads?: number;
  onChange?: (event: { model: TLoadedModel; previousVersion: string | null }) => void;
  onError?: (error: unknown) => void;
};

/**
 * Keep the production version of `name` loaded, and switch to a newly promoted (or rolled back)
 * version within `intervalMs` without a restart. Every prediction should read `current()` once and
 * report `current().version` with its result, so each prediction carries the version that made it.
 */
export function createProductionModelWatcher(options: TWatcherOptions): TProductionModelWatcher {
  const intervalMs = options.intervalMs ?? 2000;
  const retireAfterMs = options.retireAfterMs ?? 30_000;
  let model: TLoadedModel | null = null;
  let loadedId: string | null = null;
  let isClosed = false;
  let inFlight: Promise<void> | null = null;
  let resolveReady!: (model: TLoadedModel) => void;
  const ready = new Promise<TLoadedModel>((resolve) => {
    resolveReady = resolve;
  });
  const retiring = new Set<NodeJS.Timeout>();

  async function check(): Promise<void> {
    const row = await getProductionModelVersion(options.db, options.name);
    if (!row || row.id === loadedId || isClosed) return;
    const next = await loadRegisteredModel(row, options);
    if (isClosed) {
      await next.close();
      return;
    }
    const previous = model;
    model = next;
    loadedId = row.id;
    if (previous) {
      const timer = setTimeout(() => {
        retiring.delete(timer);
        void previous.close();
      }, retireAfterMs);
      timer.unref();
      retiring.add(timer);
    }
    resolveReady(next);
    options.onChange?.({ model: next, previousVersion: previous?.version ?? null });
  }

  function refresh(): Promise<void> {
    inFlight ??= check()
      .catch((error: unknown) => {
        if (options.onError) options.onError(error);
        else console.warn(`model watcher (${options.name}): ${(error as Error).message}`);
      })
      .finally(() => {
        inFlight = null;
      });
    return inFlight;
  }

  void refresh();
  const timer = setInterval(() => void refresh(), intervalMs);
  timer.unref();

  return {
    current() {
      if (!model) throw new Error(`no production version of model ${options.name} is loaded yet`);
      return model;
    },
    currentOrNull: () => model,
    ready,
    refresh,
    async close() {
      isClosed = true;
      clearInterval(timer);
      await inFlight;
      for (const t of retiring) clearTimeout(t);
      retiring.clear();
      await model?.close();
      model = null;
    },
  };
}

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
    let trainFile: TLocalFile | undefined;
    let validationFile: TLocalFile | undefined;
    let source: TEnsureDefaultModelResult['source'];
    let isSynthetic = false;

    if (options.tlcDataDir) {
      const [month] = await findLocalMonths(options.tlcDataDir);
      if (month) {
        trainFile = { path: month, uri: month, cleanup: async () => {} };
        const next = nextMonthFile(month);
        if (existsSync(next)) validationFile = { path: next, uri: next, cleanup: async () => {} };
        source = 'tlc-data-dir';
      } else log(`TLC_DATA_DIR ${options.tlcDataDir} has no yellow/green TLC month`);
    }
    if (!trainFile && options.allowDownload) {
      const url = tlcMonthUrl('green', 2021, 1, options.tlcBaseUrl);
      try {
        log(`downloading ${url} (set TRIPCAST_NO_DOWNLOAD=true to skip)`);
        trainFile = await localizeTripFile(url, { timeoutMs: options.downloadTimeoutMs ?? 20_000 });
        cleanups.push(trainFile.cleanup);
        source = 'tlc-download';
        validationFile = await localizeTripFile(tlcMonthUrl('green', 2021, 2, options.tlcBaseUrl), {
          timeoutMs: options.downloadTimeoutMs ?? 20_000,
        }).catch(() => undefined);
        if (validationFile) cleanups.push(validationFile.cleanup);
      } catch (error) {
        log(`TLC download failed (${(error as Error).message}); using a generated month`);
      }
    }
    if (!trainFile) {
      const dir = await mkdtemp(path.join(tmpdir(), 'tripcast-bootstrap-'));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      const rows = options.generatedRows ?? 200_000;
      log(
        `generating a synthetic green 2021-01 month (${rows.toLocaleString('en-US')} trips, seed 1)`,
      );
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
      trainFile = {
        path: train.path,
        uri: `generated:${path.basename(train.path)}?seed=1`,
        cleanup: async () => {},
      };
      validationFile = {
        path: validation.path,
        uri: `generated:${path.basename(validation.path)}?seed=2`,
        cleanup: async () => {},
      };
      source = 'generated';
      isSynthetic = true;
    }

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

    if (options.seedTripData ?? true) {
      for (const file of [trainFile, validationFile]) {
        if (!file) continue;
        const target = joinUri(options.storeUri, 'trip-data', path.basename(file.path));
        if (!(await objectExists(target, options))) {
          await uploadFile(file.path, target, options);
          log(`copied ${path.basename(file.path)} to ${target} for batch demos`);
        }
      }
    }
    return { row: promoted, action: 'trained', source };
  } finally {
    for (const cleanup of cleanups) await cleanup();
  }
}
