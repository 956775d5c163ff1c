/**
 * Registers a trained model and promotes it to production (@tripcast/model/store, what the Models
 * page and the models CLI use), so the server under test loads it through its production-model watcher.
 */
import { createDbClient } from '@tripcast/db/client';
import { createApiKey } from '@tripcast/db/queries/api-keys';
import type { TModelCard } from '@tripcast/model';
import { addChallenger, promoteModel, registerModel } from '@tripcast/model/store';

export async function publishBenchModel(options: { databaseUrl: string; storeUri: string; onnx: Uint8Array; card: TModelCard }): Promise<void> {
  const db = createDbClient(options.databaseUrl, { max: 1 });
  try {
    await registerModel({ db, storeUri: options.storeUri, onnx: options.onnx, card: options.card, actor: 'bench' });
    await promoteModel(db, { name: options.card.name, version: options.card.version, actor: 'bench' });
  } finally {
    await db.$disconnect();
  }
}

/** A real API key for our server (the bench measures the authenticated path). */
export async function createBenchApiKey(databaseUrl: string): Promise<string> {
  const db = createDbClient(databaseUrl, { max: 1 });
  try {
    return (await createApiKey(db, { name: 'bench', createdBy: 'bench' })).key;
  } finally {
    await db.$disconnect();
  }
}

/**
 * Registers `count` copies of the production model under other versions and makes them
 * challengers: the server then scores every request `count` more times after answering it (the
 * cost challengers are allowed: p99 within 1 ms of none).
 */
export async function addBenchChallengers(options: { databaseUrl: string; storeUri: string; onnx: Uint8Array; card: TModelCard; count: number }): Promise<string[]> {
  const db = createDbClient(options.databaseUrl, { max: 1 });
  try {
    const versions: string[] = [];
    for (let i = 1; i <= options.count; i++) {
      const card = { ...options.card, version: `${options.card.version}-challenger-${i}` };
      await registerModel({ db, storeUri: options.storeUri, onnx: options.onnx, card, actor: 'bench' });
      await addChallenger(db, { name: card.name, version: card.version, actor: 'bench' });
      versions.push(card.version);
    }
    return versions;
  } finally {
    await db.$disconnect();
  }
}
