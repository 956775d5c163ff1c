// Model versions: the registry the model store, the apps and the console share.
import type { Prisma, TDb } from '../client';
import type { ModelStage, PromotionKind } from '../generated/prisma/enums';

const MODEL_VERSION_SELECT = {
  id: true,
  name: true,
  version: true,
  artifactUri: true,
  sha256: true,
  card: true,
  stage: true,
  createdAt: true,
  createdBy: true,
  promotedAt: true,
  promotedBy: true,
  promotedVia: true,
} as const satisfies Prisma.ModelVersionSelect;

export type TModelVersionRow = Prisma.ModelVersionGetPayload<{
  select: typeof MODEL_VERSION_SELECT;
}>;

/** Newest first; all names unless `name` is given. */
export async function listModelVersions(
  db: TDb,
  { name, stage }: { name?: string; stage?: ModelStage } = {},
): Promise<TModelVersionRow[]> {
  return db.modelVersion.findMany({
    select: MODEL_VERSION_SELECT,
    where: { name, stage },
    orderBy: [{ name: 'asc' }, { createdAt: 'desc' }],
  });
}

export async function getModelVersion(
  db: TDb,
  { name, version }: { name: string; version: string },
): Promise<TModelVersionRow | null> {
  return db.modelVersion.findUnique({
    where: { name_version: { name, version } },
    select: MODEL_VERSION_SELECT,
  });
}

/** The version of `name` in production, or null. */
export async function getProductionModelVersion(
  db: TDb,
  name: string,
): Promise<TModelVersionRow | null> {
  return db.modelVersion.findUnique({
    where: { productionOf: name },
    select: MODEL_VERSION_SELECT,
  });
}

export type TCreateModelVersionInput = {
  name: string;
  version: string;
  artifactUri: string;
  sha256: string;
  card: Prisma.InputJsonValue;
  createdBy?: string | null;
};

/** Registers a candidate version; throws Prisma's P2002 when (name, version) exists. */
export async function createModelVersion(
  db: TDb,
  input: TCreateModelVersionInput,
): Promise<TModelVersionRow> {
  return db.modelVersion.create({
    data: { ...input, stage: 'candidate' },
    select: MODEL_VERSION_SELECT,
  });
}

/** At most this many challengers per model name (each one is a model call per batch in every mode). */
export const MAX_CHALLENGERS_PER_NAME = 3;

/** What serves model name N in every mode: its production version and its challengers (oldest first). */
export type TServingModelVersions = {
  production: TModelVersionRow | null;
  challengers: TModelVersionRow[];
};

/**
 * THE read of "production + challengers of name N": the watchers of the stream consumer, the
 * console's online path, the batch scorer and the Models page all call this one function.
 */
export async function listServingModelVersions(
  db: TDb,
  name: string,
): Promise<TServingModelVersions> {
  const rows = await db.modelVersion.findMany({
    select: MODEL_VERSION_SELECT,
    where: { name, stage: { in: ['production', 'challenger'] } },
    orderBy: [{ createdAt: 'asc' }, { version: 'asc' }],
  });
  return {
    production: rows.find((row) => row.stage === 'production') ?? null,
    challengers: rows.filter((row) => row.stage === 'challenger'),
  };
}

/** A stage change the registry refuses (the console answers it with a 4xx naming the rule). */
export class ModelStageError extends Error {
  override name = 'ModelStageError';
}

type TTx = Parameters<Parameters<TDb['$transaction']>[0]>[0];

/** Serializes stage changes of one model name (the challenger cap is checked, then written). */
async function lockModelName(tx: TTx, name: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`model_versions:${name}`}))`;
}

async function findVersionOrThrow(tx: TTx, name: string, version: string) {
  const row = await tx.modelVersion.findUnique({
    where: { name_version: { name, version } },
    select: MODEL_VERSION_SELECT,
  });
  if (!row) throw new ModelStageError(`model ${name} has no version ${version}`);
  return row;
}

/**
 * Makes a candidate or archived version a challenger of its name (at most
 * MAX_CHALLENGERS_PER_NAME), audited as `model.challenger.add`. Apps pick it up within their
 * watcher's interval.
 */
export async function addChallengerModelVersion(
  db: TDb,
  { name, version, actor }: { name: string; version: string; actor: string },
): Promise<TModelVersionRow> {
  return db.$transaction(async (tx) => {
    await lockModelName(tx, name);
    const target = await findVersionOrThrow(tx, name, version);
    if (target.stage === 'production')
      throw new ModelStageError(
        `${name}@${version} is in production: it cannot also be a challenger`,
      );
    if (target.stage === 'challenger')
      throw new ModelStageError(`${name}@${version} is already a challenger`);
    const count = await tx.modelVersion.count({ where: { name, stage: 'challenger' } });
    if (count >= MAX_CHALLENGERS_PER_NAME)
      throw new ModelStageError(
        `model ${name} already has ${count} challengers (at most ${MAX_CHALLENGERS_PER_NAME}): remove one first`,
      );
    const row = await tx.modelVersion.update({
      where: { id: target.id },
      data: { stage: 'challenger' },
      select: MODEL_VERSION_SELECT,
    });
    await tx.auditLog.create({
      data: {
        actor,
        action: 'model.challenger.add',
        targetType: 'model_version',
        targetId: `${name}@${version}`,
        details: { previousStage: target.stage },
      },
      select: { id: true },
    });
    return row;
  });
}

/** Stops a challenger (it becomes archived), audited as `model.challenger.remove`. */
export async function removeChallengerModelVersion(
  db: TDb,
  { name, version, actor }: { name: string; version: string; actor: string },
): Promise<TModelVersionRow> {
  return db.$transaction(async (tx) => {
    await lockModelName(tx, name);
    const target = await findVersionOrThrow(tx, name, version);
    if (target.stage !== 'challenger')
      throw new ModelStageError(`${name}@${version} is not a challenger (it is ${target.stage})`);
    const row = await tx.modelVersion.update({
      where: { id: target.id },
      data: { stage: 'archived' },
      select: MODEL_VERSION_SELECT,
    });
    await tx.auditLog.create({
      data: {
        actor,
        action: 'model.challenger.remove',
        targetType: 'model_version',
        targetId: `${name}@${version}`,
        details: {},
      },
      select: { id: true },
    });
    return row;
  });
}

/** What the production version becomes when another one is promoted. */
export type TPreviousProductionStage = 'archived' | 'challenger';

export type TPromoteModelVersionResult = {
  promoted: TModelVersionRow;
  previous: TModelVersionRow | null;
};

/**
 * Makes (name, version) the production version, in one transaction, with ONE audit entry:
 * `model.promote`, or `model.rollback` when `via` is 'rollback' (putting back an earlier version
 * is one act, recorded once). The previous production version becomes `previousStage`: archived
 * (default) or a challenger (the admin's choice; it then keeps scoring beside the new one, and
 * takes the promoted challenger's place, so the cap holds). The unique `production_of` index
 * makes two concurrent promotions fail rather than leave two production versions.
 */
export async function promoteModelVersion(
  db: TDb,
  {
    name,
    version,
    actor,
    via = 'promote',
    previousStage = 'archived',
  }: {
    name: string;
    version: string;
    actor: string;
    via?: PromotionKind;
    previousStage?: TPreviousProductionStage;
  },
): Promise<TPromoteModelVersionResult> {
  return db.$transaction(async (tx) => {
    await lockModelName(tx, name);
    const target = await findVersionOrThrow(tx, name, version);
    if (previousStage === 'challenger' && target.stage !== 'challenger') {
      const count = await tx.modelVersion.count({ where: { name, stage: 'challenger' } });
      if (count >= MAX_CHALLENGERS_PER_NAME)
        throw new ModelStageError(
          `model ${name} already has ${count} challengers: the previous production version cannot become one`,
        );
    }
    const previous = await tx.modelVersion.findUnique({
      where: { productionOf: name },
      select: MODEL_VERSION_SELECT,
    });
    if (previous && previous.id !== target.id) {
      await tx.modelVersion.update({
        where: { id: previous.id },
        data: { stage: previousStage, productionOf: null },
        select: { id: true },
      });
    }
    const promoted = await tx.modelVersion.update({
      where: { id: target.id },
      data: {
        stage: 'production',
        productionOf: name,
        promotedAt: new Date(),
        promotedBy: actor,
        promotedVia: via,
      },
      select: MODEL_VERSION_SELECT,
    });
    await tx.auditLog.create({
      data: {
        actor,
        action: via === 'rollback' ? 'model.rollback' : 'model.promote',
        targetType: 'model_version',
        targetId: `${name}@${version}`,
        details: {
          previous: previous?.version ?? null,
          previousStage: previous && previous.id !== target.id ? previousStage : null,
          fromStage: target.stage,
        },
      },
      select: { id: true },
    });
    return { promoted, previous: previous && previous.id !== target.id ? previous : null };
  });
}
