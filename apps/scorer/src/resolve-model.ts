// Which model a run scores with: `--model-location` (the course's MODEL_LOCATION), a named
// version `--model name@version`, or the registry's production version of `name`.
import { joinUri, type TS3Options } from '@tripcast/model/object-store';
import { loadModel, type TLoadedModel } from '@tripcast/model/runtime';
import type { Pool } from 'pg';

export type TModelRef = { name: string; version: string | null };

export function parseModelRef(text: string): TModelRef {
  const [name, version, extra] = text.split('@');
  if (!name || extra !== undefined || version === '') {
    throw new Error(`--model expects name or name@version, got "${text}"`);
  }
  return { name, version: version ?? null };
}

/** Where the model artifact lives, following the registry (model_versions) when it is reachable. */
export async function resolveModelUri(options: {
  ref: TModelRef;
  storeUri: string;
  pool: Pool | null;
}): Promise<string> {
  const { ref, pool } = options;
  if (pool) {
    const { rows } = ref.version
      ? await pool.query<{ uri: string }>(
          'SELECT artifact_uri AS uri FROM model_versions WHERE name = $1 AND version = $2',
          [ref.name, ref.version],
        )
      : await pool.query<{ uri: string }>('SELECT artifact_uri AS uri FROM model_versions WHERE production_of = $1', [ref.name]);
    if (rows[0]) return rows[0].uri;
    if (!ref.version) {
      throw new Error(`no production version of model "${ref.name}" in the registry (promote one, or pass --model ${ref.name}@<version>)`);
    }
  } else if (!ref.version) {
    throw new Error(`no database to find the production version of "${ref.name}": pass --model ${ref.name}@<version> or --model-location`);
  }
  // A named version not (yet) registered: the store layout models/<name>/<version>/.
  return joinUri(options.storeUri, 'models', ref.name, ref.version);
}

export function createModelLoader(options: {
  location?: string | undefined;
  ref: TModelRef;
  storeUri: string;
  pool: Pool | null;
  s3?: TS3Options;
}): () => Promise<TLoadedModel> {
  return async () => {
    const uri = options.location ?? (await resolveModelUri(options));
    try {
      return await loadModel(uri, { s3: options.s3 });
    } catch (error) {
      throw new Error(`${uri}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  };
}
