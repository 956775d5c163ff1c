import { createDbClient } from '@tripcast/db/client';

import type { TCliEnv } from '../env';
import { s3OptionsFromEnv } from '../object-store';
import type { TModelCard } from '../model-card';
import { promoteModel, registerModel } from '../store';

/** `train --register [--promote]`: store the artifacts and record the version in the database. */
export async function registerFromCli(input: {
  env: TCliEnv;
  onnx: Uint8Array;
  card: TModelCard;
  promote: boolean;
  /** Where to say what was done (stdout by default; `train --job-id` also sends it to the job). */
  log?: (line: string) => void;
}): Promise<void> {
  const { env } = input;
  const log = input.log ?? ((line: string) => console.log(line));
  if (!env.DATABASE_URL)
    throw new Error(
      '--register needs DATABASE_URL (source <TRIPCAST_HOME>/env for the local stack)',
    );
  const db = createDbClient(env.DATABASE_URL, { max: 2, applicationName: 'tripcast-train' });
  try {
    const row = await registerModel({
      db,
      storeUri: env.objectStoreUri,
      s3: s3OptionsFromEnv(env),
      onnx: input.onnx,
      card: input.card,
      actor: env.actor,
    });
    log(`registered ${row.name}@${row.version} at ${row.artifactUri}`);
    if (input.promote) {
      await promoteModel(db, { name: row.name, version: row.version, actor: env.actor });
      log(`promoted ${row.name}@${row.version} to production`);
    }
  } finally {
    await db.$disconnect();
  }
}
