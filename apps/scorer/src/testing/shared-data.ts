import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

/** The shared real TLC data: $TRIPCAST_SHARED_DATA, else <repo>/../shared/data (never copied in). */
export function sharedDataPath(file: string): string {
  // Tests are the only readers of this variable; they are not a deployable with an env.ts.
  return path.join(process.env.TRIPCAST_SHARED_DATA ?? path.join(repoRoot, '..', 'shared', 'data'), file);
}

export function hasSharedData(file: string): boolean {
  return existsSync(sharedDataPath(file));
}
