import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

/**
 * Where the shared real TLC data lives for tests: $TRIPCAST_SHARED_DATA, else <repo>/../shared/data.
 * Tests skip with this path in their title when the file is absent; the data is never copied in.
 */
export function sharedDataPath(file: string): string {
  // Tests are the only readers of this variable; they are not a deployable with an env.ts.
  const dir = process.env.TRIPCAST_SHARED_DATA ?? path.join(repoRoot, '..', 'shared', 'data');
  return path.join(dir, file);
}

export function hasSharedData(file: string): boolean {
  return existsSync(sharedDataPath(file));
}
