import { loadModel } from '@tripcast/model/runtime';
import type { TLoadModelOptions } from '@tripcast/model/runtime';
import { createDbClient } from '@tripcast/db/client';
import type { TObjectStoreOptions } from '@tripcast/model/object-store';
import { createProductionModelWatcher } from '@tripcast/model/store';
import type { Logger } from 'pino';

import type { TScoringModel } from '@tripcast/model/features';
import type { TChallengerSlot } from './core/types';

export type TModelSource = {
  /** The model to score the next batch with; throws (the batch is retried) when none is in production. */
  current(): TScoringModel;
  /** The challengers to score beside it (a pinned MODEL_LOCATION has none). */
  challengers(): readonly TChallengerSlot[];
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
  return { current: () => model, challengers: () => [], close: () => model.close() };
}

/**
 * The registry's production version of `name`, through @tripcast/model/store's watcher: a
 * promotion or rollback is scored with from the first batch after the watcher sees it (within
 * `intervalMs`), without a restart. A replaced session stays open for batches already predicting.
 * Until a version is in production, `current()` throws and the runtime retries the batch.
 * The name's challengers are followed the same way (`challengers()`; one that fails to load is
 * listed with its error, and the handler skips and reports it).
 */
export async function createRegistryModelSource(options: {
  databaseUrl: string;
  name: string;
  intervalMs: number;
  log: Logger;
  load?: TObjectStoreOptions;
}): Promise<TModelSource> {
  const db = createDbClient(options.databaseUrl, { max: 2, applicationName: 'stream-consumer-models' });
  const watcher = createProductionModelWatcher({
    ...options.load,
    db,
    name: options.name,
    intervalMs: options.intervalMs,
    threads: 1,
    challengers: true,
    onChallengersChange: (challengers) =>
      options.log.info(
        { model: options.name, challengers: challengers.map(({ version, error }) => (error ? `${version} (failed to load: ${error})` : version)) },
        'challengers loaded',
      ),
    onChange: ({ model, previousVersion }) =>
      options.log.info({ model: model.name, version: model.version, previousVersion }, 'production model loaded'),
    onError: (error) => options.log.error({ err: error }, 'could not refresh the production model'),
  });
  await watcher.refresh();
  if (!watcher.currentOrNull()) options.log.warn({ model: options.name }, 'no production model yet: batches wait until one is promoted');
  return {
    current() {
      const model = watcher.currentOrNull();
      if (!model) throw new NoProductionModelError(options.name);
      return model;
    },
    challengers: () => watcher.challengers(),
    async close() {
      await watcher.close();
      await db.$disconnect();
    },
  };
}
