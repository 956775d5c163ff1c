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

/** A rollback with nothing to go back to: no version was in production before the current one. */
export class NoRollbackTargetError extends Error {
  constructor(readonly modelName: string) {
    super(`model ${modelName} has no earlier production version to roll back to`);
    this.name = 'NoRollbackTargetError';
  }
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
  if (!previous) throw new NoRollbackTargetError(input.name);
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
