import { loadModel } from '@tripcast/model/runtime';
import type { TLoadedModel, TLoadModelOptions } from '@tripcast/model/runtime';
import type { Pool } from 'pg';
import type { Logger } from 'pino';

import type { TScoringModel } from './core/types';

export type TModelSource = {
  /** The model to score the next batch with; throws (the batch is retried) when none is in production. */
  current(): TScoringModel;
  close(): Promise<void>;
};

export class NoProductionModelError extends Error {
  constructor(name: string) {
    super(`no version of ${name} is in production yet: promote one (console Models page or the model CLI)`);
    this.name = 'NoProductionModelError';
  }
}

/** The course's MODEL_LOCATION: one folder or s3:// prefix, fixed for the life of the process. */
export async function createPinnedModelSource(uri: string, options: TLoadModelOptions = {}): Promise<TModelSource> {
  const model = await loadModel(uri, options);
  return { current: () => model, close: () => model.close() };
}

/**
 * The registry's production version of `name` (model_versions, stage = 'production'), re-read
 * every `intervalMs`: a promotion or rollback is scored with from the next batch after it is
 * seen, without a restart. The previous session is released only after the new one is in
 * place, so a batch in flight keeps its model.
 *
 * INTERIM: reads model_versions directly, with the same semantics as the console's watcher;
 * it moves to @tripcast/model/store's createProductionModelWatcher once that lands.
 */
export async function createRegistryModelSource(options: {
  pool: Pool;
  name: string;
  intervalMs: number;
  log: Logger;
  load?: TLoadModelOptions;
}): Promise<TModelSource> {
  let loaded: TLoadedModel | null = null;
  let isClosed = false;
  const refresh = async () => {
    const { rows } = await options.pool.query<{ version: string; artifact_uri: string; sha256: string }>(
      `SELECT version, artifact_uri, sha256 FROM model_versions WHERE name = $1 AND stage = 'production' LIMIT 1`,
      [options.name],
    );
    const row = rows[0];
    if (!row || (loaded && loaded.version === row.version && loaded.sha256 === row.sha256)) return;
    const next = await loadModel(row.artifact_uri, options.load);
    const previous = loaded;
    loaded = next;
    options.log.info({ model: next.name, version: next.version, previous: previous?.version ?? null }, 'production model loaded');
    // A batch that already took `previous` may still be predicting: close it a little later.
    if (previous) setTimeout(() => void previous.close(), 30_000).unref();
  };
  await refresh().catch((error: unknown) => options.log.error({ err: error }, 'could not load the production model'));
  let inFlight: Promise<void> | null = null;
  const timer = setInterval(() => {
    if (inFlight || isClosed) return;
    inFlight = refresh()
      .catch((error: unknown) => options.log.error({ err: error }, 'could not refresh the production model'))
      .finally(() => {
        inFlight = null;
      });
  }, options.intervalMs);
  timer.unref();
  return {
    current() {
      if (!loaded) throw new NoProductionModelError(options.name);
      return loaded;
    },
    async close() {
      isClosed = true;
      clearInterval(timer);
      await inFlight;
      await loaded?.close();
    },
  };
}
