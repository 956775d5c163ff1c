/**
 * Registers a trained model and promotes it to production (@tripcast/model/store, what the Models
 * page and the models CLI use), so the server under test loads it through its production-model watcher.
 */
import { createDbClient } from '@tripcast/db/client';
import { createApiKey } from '@tripcast/db/queries/api-keys';
import type { TModelCard } from '@tripcast/model';
import { promoteModel, registerModel } from '@tripcast/model/store';

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
