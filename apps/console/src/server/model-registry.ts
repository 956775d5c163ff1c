// The console's seam to the model registry: resolve the production version, watch it, register
// uploads, promote and roll back. INTERIM implementation over the db client and
// @tripcast/model/{runtime,object-store}; it moves to @tripcast/model/store (same semantics:
// artifacts at <store>/models/<name>/<version>/{model.onnx,card.json}, one production row per
// name guaranteed by the production_of unique index, every change in audit_log) once that lands.
import type { TModelCard } from '@tripcast/model';
import { joinUri, writeObject, type TObjectStoreOptions } from '@tripcast/model/object-store';
import { CARD_FILE, loadModel, MODEL_FILE, type TLoadedModel } from '@tripcast/model/runtime';
import type { TDb } from './db';

export type TProductionModelWatcher = {
  /** The production model now; throws when none is in production. */
  current(): TLoadedModel;
  /** Re-reads the production version now (after an in-process promotion) instead of at the next tick. */
  refresh(): Promise<void>;
  close(): Promise<void>;
};

export class ModelRegistryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelRegistryError';
  }
}

async function findProduction(db: TDb, name: string) {
  return db.modelVersion.findFirst({
    where: { name, stage: 'production' },
    select: { version: true, artifactUri: true, sha256: true },
  });
}

/**
 * Loads the production version and re-checks every `intervalMs`: a promotion (from this console,
 * the CLI or another instance) is served within one interval. The old session is released only
 * after the new one is in place, so no request sees a gap.
 */
export async function createProductionModelWatcher(opts: {
  db: TDb;
  name: string;
  intervalMs: number;
  s3?: TObjectStoreOptions['s3'];
  onError?: (error: unknown) => void;
}): Promise<TProductionModelWatcher> {
  let loaded: TLoadedModel | null = null;
  let isClosed = false;
  const refresh = async () => {
    const row = await findProduction(opts.db, opts.name);
    if (!row) return;
    if (loaded && loaded.version === row.version && loaded.sha256 === row.sha256) return;
    const next = await loadModel(row.artifactUri, { s3: opts.s3 });
    const previous = loaded;
    loaded = next;
    await previous?.close();
  };
  await refresh();
  // One refresh at a time: a tick and an explicit refresh() share the same in-flight promise.
  let inFlight: Promise<void> | null = null;
  const refreshOnce = () => {
    inFlight ??= refresh().finally(() => {
      inFlight = null;
    });
    return inFlight;
  };
  const timer = setInterval(() => {
    if (inFlight || isClosed) return;
    refreshOnce().catch((error: unknown) => opts.onError?.(error));
  }, opts.intervalMs);
  timer.unref();
  return {
    current() {
      if (!loaded)
        throw new ModelRegistryError(
          `no version of ${opts.name} is in production yet: promote one on the Models page`,
        );
      return loaded;
    },
    // A refresh already in flight may have read the registry before the caller's promotion
    // committed: wait for it, then read again.
    async refresh() {
      await inFlight?.catch(() => undefined);
      await refreshOnce();
    },
    async close() {
      isClosed = true;
      clearInterval(timer);
      await inFlight?.catch(() => undefined);
      await loaded?.close();
    },
  };
}

/** Stores an already checked upload and records it as a candidate. */
export async function registerModel(opts: {
  db: TDb;
  storeUri: string;
  s3?: TObjectStoreOptions['s3'];
  onnx: Uint8Array;
  card: TModelCard;
  actor: string;
}): Promise<{ version: string }> {
  const { card } = opts;
  const exists = await opts.db.modelVersion.findUnique({
    where: { name_version: { name: card.name, version: card.version } },
    select: { id: true },
  });
  if (exists)
    throw new ModelRegistryError(
      `${card.name} ${card.version} is already registered: give the new model another version`,
    );
  const uri = joinUri(opts.storeUri, 'models', card.name, card.version);
  await writeObject(joinUri(uri, MODEL_FILE), opts.onnx, { s3: opts.s3 });
  await writeObject(joinUri(uri, CARD_FILE), JSON.stringify(card, null, 2), { s3: opts.s3 });
  await opts.db.$transaction([
    opts.db.modelVersion.create({
      data: {
        name: card.name,
        version: card.version,
        artifactUri: uri,
        sha256: card.sha256,
        card,
        stage: 'candidate',
        createdBy: opts.actor,
      },
      select: { id: true },
    }),
    opts.db.auditLog.create({
      data: {
        actor: opts.actor,
        action: 'model.register',
        targetType: 'model_version',
        targetId: `${card.name}@${card.version}`,
      },
      select: { id: true },
    }),
  ]);
  return { version: card.version };
}

/** Makes `version` the production version of `name`; the previous one is archived (restorable by rollback). */
export async function promoteModel(opts: {
  db: TDb;
  name: string;
  version: string;
  actor: string;
}): Promise<void> {
  await opts.db.$transaction(async (tx) => {
    const target = await tx.modelVersion.findUnique({
      where: { name_version: { name: opts.name, version: opts.version } },
      select: { id: true, stage: true },
    });
    if (!target) throw new ModelRegistryError(`${opts.name} has no version ${opts.version}`);
    if (target.stage === 'production')
      throw new ModelRegistryError(`${opts.version} is already in production`);
    const previous = await tx.modelVersion.findFirst({
      where: { name: opts.name, stage: 'production' },
      select: { version: true },
    });
    await tx.modelVersion.updateMany({
      where: { name: opts.name, stage: 'production' },
      data: { stage: 'archived', productionOf: null },
    });
    await tx.modelVersion.update({
      where: { id: target.id },
      data: {
        stage: 'production',
        productionOf: opts.name,
        promotedAt: new Date(),
        promotedBy: opts.actor,
      },
      select: { id: true },
    });
    await tx.auditLog.create({
      data: {
        actor: opts.actor,
        action: 'model.promote',
        targetType: 'model_version',
        targetId: `${opts.name}@${opts.version}`,
        details: { previous: previous?.version ?? null },
      },
      select: { id: true },
    });
  });
}

/** Restores the version that was in production before the current one. */
export async function rollbackModel(opts: {
  db: TDb;
  name: string;
  actor: string;
}): Promise<{ version: string }> {
  const current = await opts.db.modelVersion.findFirst({
    where: { name: opts.name, stage: 'production' },
    select: { version: true },
  });
  if (!current) throw new ModelRegistryError(`${opts.name} has no production version to roll back`);
  const previous = await opts.db.modelVersion.findFirst({
    where: { name: opts.name, stage: 'archived', promotedAt: { not: null } },
    orderBy: { promotedAt: 'desc' },
    select: { version: true },
  });
  if (!previous)
    throw new ModelRegistryError(`no earlier production version of ${opts.name} to roll back to`);
  await promoteModel({
    db: opts.db,
    name: opts.name,
    version: previous.version,
    actor: opts.actor,
  });
  return { version: previous.version };
}
