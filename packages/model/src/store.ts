import type { TDb } from '@tripcast/db/client';
import { recordAudit } from '@tripcast/db/queries/audit';
import {
  addChallengerModelVersion,
  createModelVersion,
  getModelVersion,
  getProductionModelVersion,
  listModelVersions as listModelVersionRows,
  listServingModelVersions,
  promoteModelVersion,
  removeChallengerModelVersion,
  type TModelVersionRow,
  type TPreviousProductionStage,
  type TServingModelVersions,
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

export type {
  TModelVersionRow,
  TPreviousProductionStage,
  TServingModelVersions,
} from '@tripcast/db/queries/models';
export { MAX_CHALLENGERS_PER_NAME, ModelStageError } from '@tripcast/db/queries/models';

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

/**
 * Make a version the one production version of its name. The previous one is archived, or stays
 * on as a challenger when `previousStage` is 'challenger' (the admin's choice). Audited.
 */
export async function promoteModel(
  db: TDb,
  input: { name: string; version: string; actor: string; previousStage?: TPreviousProductionStage },
): Promise<TModelVersionRow> {
  return (await promoteModelVersion(db, input)).promoted;
}

/** Production + challengers of `name`: the one read every app serves from. */
export async function resolveServingModels(db: TDb, name: string): Promise<TServingModelVersions> {
  return listServingModelVersions(db, name);
}

/** Let a registered version score beside production in every mode (at most three). Audited. */
export async function addChallenger(
  db: TDb,
  input: { name: string; version: string; actor: string },
): Promise<TModelVersionRow> {
  return addChallengerModelVersion(db, input);
}

/** Stop a challenger (it becomes archived). Audited. */
export async function removeChallenger(
  db: TDb,
  input: { name: string; version: string; actor: string },
): Promise<TModelVersionRow> {
  return removeChallengerModelVersion(db, input);
}

/** A rollback with nothing to go back to: no version was in production before the current one. */
export class NoRollbackTargetError extends Error {
  constructor(readonly modelName: string) {
    super(`model ${modelName} has no earlier production version to roll back to`);
    this.name = 'NoRollbackTargetError';
  }
}

/**
 * Put back the version that was in production before the current one: the archived (or kept-on
 * challenger) version promoted most recently. Recorded once, as a `model.rollback` audit entry naming both versions,
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
  // The previous production version is archived, or a challenger when it was kept on as one.
  const candidates = (await listModelVersionRows(db, { name }))
    .filter((row) => row.stage === 'archived' || row.stage === 'challenger')
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

/** One challenger as a watcher holds it: loaded, or not loadable (and why). */
export type TChallengerState = {
  row: TModelVersionRow;
  version: string;
  /** null while it failed to load: apps skip it and report `error`. */
  model: TLoadedModel | null;
  error: string | null;
};

export type TProductionModelWatcher = {
  /** The production model now; throws if none has been loaded (see `ready`). */
  current(): TLoadedModel;
  currentOrNull(): TLoadedModel | null;
  /**
   * The challengers of the name now, oldest first (empty unless `challengers: true`). A
   * challenger that failed to load is listed with `model: null` and its error: skip it, report it.
   */
  challengers(): readonly TChallengerState[];
  /** Resolves with the first loaded model. */
  ready: Promise<TLoadedModel>;
  /** Check the registry now (the poller calls this every intervalMs). */
  refresh(): Promise<void>;
  close(): Promise<void>;
};

export type TWatcherOptions = TObjectStoreOptions & {
  db: TDb;
  name: string;
  /** How often to look for a stage change; default 2,000 ms. */
  intervalMs?: number;
  /** How long a replaced session stays open for predictions already running; default 30 s. */
  retireAfterMs?: number;
  threads?: number;
  /** Also keep the name's challengers loaded (see `challengers()`); default false. */
  challengers?: boolean;
  /** A challenger that failed to load is tried again after this long; default 30 s. */
  challengerRetryMs?: number;
  onChange?: (event: { model: TLoadedModel; previousVersion: string | null }) => void;
  /** The set of challengers (or one's load state) changed. */
  onChallengersChange?: (challengers: readonly TChallengerState[]) => void;
  onError?: (error: unknown) => void;
};

/**
 * Keep the production version of `name` loaded (and, with `challengers: true`, its challengers),
 * and follow every stage change (promotion, rollback, challenger added or removed) within
 * `intervalMs` without a restart. Every prediction should read `current()` once and report
 * `current().version` with its result, so each prediction carries the version that made it.
 * Reads the registry through listServingModelVersions, the one read of "production + challengers".
 */
export function createProductionModelWatcher(options: TWatcherOptions): TProductionModelWatcher {
  const intervalMs = options.intervalMs ?? 2000;
  const retireAfterMs = options.retireAfterMs ?? 30_000;
  const challengerRetryMs = options.challengerRetryMs ?? 30_000;
  let model: TLoadedModel | null = null;
  let loadedId: string | null = null;
  let challengers: TChallengerState[] = [];
  const failedAt = new Map<string, number>();
  let isClosed = false;
  let inFlight: Promise<void> | null = null;
  let resolveReady!: (model: TLoadedModel) => void;
  const ready = new Promise<TLoadedModel>((resolve) => {
    resolveReady = resolve;
  });
  const retiring = new Set<NodeJS.Timeout>();

  /** Close a replaced session later: predictions already running on it finish first. */
  function retire(old: TLoadedModel): void {
    const timer = setTimeout(() => {
      retiring.delete(timer);
      void old.close();
    }, retireAfterMs);
    timer.unref();
    retiring.add(timer);
  }

  async function syncChallengers(rows: TModelVersionRow[]): Promise<void> {
    const byId = new Map(challengers.map((state) => [state.row.id, state]));
    let changed = rows.length !== challengers.length;
    const next: TChallengerState[] = [];
    for (const row of rows) {
      const known = byId.get(row.id);
      byId.delete(row.id);
      const lastFailure = failedAt.get(row.id);
      if (known?.model || (known && lastFailure && Date.now() - lastFailure < challengerRetryMs)) {
        next.push(known);
        continue;
      }
      changed = true;
      try {
        const loaded = await loadRegisteredModel(row, options);
        failedAt.delete(row.id);
        next.push({ row, version: row.version, model: loaded, error: null });
      } catch (error) {
        failedAt.set(row.id, Date.now());
        next.push({ row, version: row.version, model: null, error: (error as Error).message });
      }
    }
    for (const gone of byId.values()) {
      failedAt.delete(gone.row.id);
      if (gone.model) retire(gone.model);
    }
    if (isClosed) {
      for (const state of next) if (state.model && !challengers.includes(state)) await state.model.close();
      return;
    }
    challengers = next;
    if (changed) options.onChallengersChange?.(challengers);
  }

  async function check(): Promise<void> {
    const serving = await listServingModelVersions(options.db, options.name);
    if (isClosed) return;
    // Production first: a slow or broken challenger never delays production's (re)load.
    await syncProduction(serving.production);
    if (options.challengers && !isClosed) await syncChallengers(serving.challengers);
  }

  async function syncProduction(row: TModelVersionRow | null): Promise<void> {
    if (!row || row.id === loadedId || isClosed) return;
    const next = await loadRegisteredModel(row, options);
    if (isClosed) {
      await next.close();
      return;
    }
    const previous = model;
    model = next;
    loadedId = row.id;
    if (previous) retire(previous);
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
    challengers: () => challengers,
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
      for (const state of challengers) await state.model?.close();
      challengers = [];
    },
  };
}
