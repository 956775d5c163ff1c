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

export type TPromoteModelVersionResult = {
  promoted: TModelVersionRow;
  previous: TModelVersionRow | null;
};

/**
 * Makes (name, version) the production version and archives the previous one, in one
 * transaction, with ONE audit entry: `model.promote`, or `model.rollback` when `via` is
 * 'rollback' (putting back an earlier version is one act, recorded once). The unique
 * `production_of` index makes two concurrent promotions fail rather than leave two production versions.
 */
export async function promoteModelVersion(
  db: TDb,
  {
    name,
    version,
    actor,
    via = 'promote',
  }: { name: string; version: string; actor: string; via?: PromotionKind },
): Promise<TPromoteModelVersionResult> {
  return db.$transaction(async (tx) => {
    const target = await tx.modelVersion.findUnique({
      where: { name_version: { name, version } },
      select: { id: true },
    });
    if (!target) throw new Error(`model ${name} has no version ${version}`);
    const previous = await tx.modelVersion.findUnique({
      where: { productionOf: name },
      select: MODEL_VERSION_SELECT,
    });
    if (previous && previous.id !== target.id) {
      await tx.modelVersion.update({
        where: { id: previous.id },
        data: { stage: 'archived', productionOf: null },
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
        details: { previous: previous?.version ?? null },
      },
      select: { id: true },
    });
    return { promoted, previous: previous && previous.id !== target.id ? previous : null };
  });
}
