/**
 * Registers a trained model and promotes it to production, the way an analyst does on the Models
 * page, so the server under test loads it through its production-model watcher.
 * Uses the console's registry seam (apps/console/src/server/model-registry.ts), which moves to
 * @tripcast/model/store with the same semantics.
 */
import { createDbClient } from '@tripcast/db/client';
import type { TModelCard } from '@tripcast/model';
import { promoteModel, registerModel } from '../../apps/console/src/server/model-registry';

export async function publishBenchModel(options: { databaseUrl: string; storeUri: string; onnx: Uint8Array; card: TModelCard }): Promise<void> {
  const db = createDbClient(options.databaseUrl, { max: 1 });
  try {
    await registerModel({ db, storeUri: options.storeUri, onnx: options.onnx, card: options.card, actor: 'bench' });
    await promoteModel({ db, name: options.card.name, version: options.card.version, actor: 'bench' });
  } finally {
    await db.$disconnect();
  }
}
