// One production model per process, shared by the tRPC live prediction and (in the same
// process, via server.ts) the REST API: a promotion is picked up by the watcher within seconds,
// and at once when this process made it (the models router calls refresh()).
import { createProductionModelWatcher, type TProductionModelWatcher } from '@tripcast/model/store';
import { getEnv } from '~/env';
import { getConsoleDb } from './db';
import { getStoreOptions } from './store-options';

export type { TProductionModelWatcher };

const holder = globalThis as typeof globalThis & {
  __tripcastModelWatcher?: Promise<TProductionModelWatcher>;
};

/** The process-wide watcher. Until a version is in production its `current()` throws. */
export function getModelWatcher(): Promise<TProductionModelWatcher> {
  if (!holder.__tripcastModelWatcher) {
    const env = getEnv();
    holder.__tripcastModelWatcher = Promise.resolve(
      createProductionModelWatcher({
        db: getConsoleDb(),
        name: env.MODEL_NAME,
        intervalMs: env.MODEL_WATCH_INTERVAL_MS,
        // Challengers score every online request after its response (src/rest/challengers.ts).
        challengers: true,
        onChallengersChange: (challengers) =>
          console.log(
            `[console] challengers of ${env.MODEL_NAME}: ${challengers.map((c) => (c.error ? `${c.version} (failed to load: ${c.error})` : c.version)).join(', ') || 'none'}`,
          ),
        ...getStoreOptions(),
        onError: (error) =>
          console.error('[console] model watcher:', error instanceof Error ? error.message : error),
      }),
    );
  }
  return holder.__tripcastModelWatcher;
}

/**
 * Re-read the registry after this process changed it. Twice: a check already in flight may have
 * read the registry before the change committed, and refresh() joins a check in flight.
 */
export async function refreshAfterRegistryChange(watcher: TProductionModelWatcher): Promise<void> {
  await watcher.refresh();
  await watcher.refresh();
}
