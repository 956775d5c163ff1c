// Which model a run scores with: `--model-location` (the course's MODEL_LOCATION), a named
// version `--model name@version`, or the registry's production version of `name`
// (@tripcast/model/store: the registry row's sha256 is checked against the artifact).
import { createDbClient } from '@tripcast/db/client';
import { ZModelName, ZModelVersion } from '@tripcast/model';
import type { TS3Options } from '@tripcast/model/object-store';
import { loadModel, type TLoadedModel } from '@tripcast/model/runtime';
import {
  listModelVersions,
  loadRegisteredModel,
  modelArtifactUri,
  resolveProductionModel,
  resolveServingModels,
} from '@tripcast/model/store';

import type { TChallengerModel } from './score-month';

export type TModelRef = { name: string; version: string | null };

export function parseModelRef(text: string): TModelRef {
  const [name, version, extra] = text.split('@');
  if (!name || extra !== undefined || version === '') {
    throw new Error(`--model expects name or name@version, got "${text}"`);
  }
  // Both become folders of the store (models/<name>/<version>): one safe path segment each.
  for (const [value, schema] of [
    [name, ZModelName],
    [version, ZModelVersion],
  ] as const) {
    const parsed = value === undefined ? undefined : schema.safeParse(value);
    if (parsed && !parsed.success)
      throw new Error(`--model: ${parsed.error.issues[0]?.message ?? 'invalid'}, got "${text}"`);
  }
  return { name, version: version ?? null };
}

export function createModelLoader(options: {
  location?: string | undefined;
  ref: TModelRef;
  storeUri: string;
  databaseUrl: string | null;
  s3?: TS3Options;
}): () => Promise<TLoadedModel> {
  const { ref, s3 } = options;
  return async () => {
    if (options.location)
      return withUri(options.location, () => loadModel(options.location!, { s3 }));
    if (!options.databaseUrl) {
      if (!ref.version) {
        throw new Error(
          `no database to find the production version of "${ref.name}": pass --model ${ref.name}@<version> or --model-location`,
        );
      }
      // Without a registry, a named version is found at its place in the store layout.
      const uri = modelArtifactUri(options.storeUri, ref.name, ref.version);
      return withUri(uri, () => loadModel(uri, { s3 }));
    }
    const db = createDbClient(options.databaseUrl, { max: 1, applicationName: 'tripcast-scorer' });
    try {
      const row = ref.version
        ? (await listModelVersions(db, ref.name)).find((v) => v.version === ref.version)
        : await resolveProductionModel(db, ref.name);
      if (!row) {
        throw new Error(
          ref.version
            ? `model ${ref.name}@${ref.version} is not in the registry`
            : `no production version of model "${ref.name}" in the registry (promote one, or pass --model ${ref.name}@<version>)`,
        );
      }
      return await withUri(row.artifactUri, () => loadRegisteredModel(row, { s3 }));
    } finally {
      await db.$disconnect();
    }
  };
}

/**
 * The challengers that score beside the model a run scores with: the given locations
 * (`--challenger-location`), else the registry's challengers when the run scores the registry's
 * production version (a named version or a location is otherwise a one-model run). Each challenger
 * loads on its own; one that fails is returned with its error, not thrown.
 */
export function createChallengerLoader(options: {
  location?: string | undefined;
  challengerLocations?: readonly string[];
  ref: TModelRef;
  databaseUrl: string | null;
  s3?: TS3Options;
}): ((production: TLoadedModel) => Promise<TChallengerModel[]>) | undefined {
  const { ref, s3, databaseUrl } = options;
  const locations = options.challengerLocations ?? [];
  if (locations.length > 0) {
    return async () => {
      const loaded: TChallengerModel[] = [];
      for (const uri of locations) {
        try {
          const model = await loadModel(uri, { s3 });
          loaded.push({ version: model.version, model, error: null });
        } catch (error) {
          // No card read: the folder's name stands for the version in the run's report.
          const label = uri.replace(/\/+$/, '').split('/').at(-1) ?? uri;
          loaded.push({
            version: label,
            model: null,
            error: `${uri}: ${error instanceof Error ? error.message : String(error)}`,
          });
        }
      }
      return loaded;
    };
  }
  if (options.location || ref.version || !databaseUrl) return undefined;
  return async (production) => {
    const db = createDbClient(databaseUrl, { max: 1, applicationName: 'tripcast-scorer' });
    try {
      const { challengers } = await resolveServingModels(db, ref.name);
      const loaded: TChallengerModel[] = [];
      for (const row of challengers) {
        if (row.version === production.version) continue;
        try {
          loaded.push({
            version: row.version,
            model: await loadRegisteredModel(row, { s3 }),
            error: null,
          });
        } catch (error) {
          loaded.push({
            version: row.version,
            model: null,
            error: `${row.artifactUri}: ${error instanceof Error ? error.message : String(error)}`,
          });
        }
      }
      return loaded;
    } finally {
      await db.$disconnect();
    }
  };
}

async function withUri<T>(uri: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    throw new Error(`${uri}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}
