// One production model per process, shared by the tRPC live prediction and (in the same
// process, via server.ts) the REST API: a promotion is picked up by the watcher within seconds.
import { createProductionModelWatcher, type TProductionModelWatcher } from './model-registry';
import { getEnv } from '~/env';
import { getStoreOptions } from './store-options';
import { getConsoleDb } from './db';

const holder = globalThis as typeof globalThis & {
  __tripcastModelWatcher?: Promise<TProductionModelWatcher>;
};

export function getModelWatcher(): Promise<TProductionModelWatcher> {
  let watcher: Promise<TProductionModelWatcher> | undefined = holder.__tripcastModelWatcher;
  if (!watcher) {
    const env = getEnv();
    watcher = createProductionModelWatcher({
      db: getConsoleDb(),
      name: env.MODEL_NAME,
      intervalMs: env.MODEL_WATCH_INTERVAL_MS,
      ...getStoreOptions(),
      onError: (error) => console.error('model watcher:', error),
    }).catch((error: unknown) => {
      holder.__tripcastModelWatcher = undefined;
      throw error;
    });
    holder.__tripcastModelWatcher = watcher;
  }
  return watcher;
}
