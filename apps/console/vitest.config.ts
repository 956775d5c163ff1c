import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const dir = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  resolve: { alias: { '~': path.join(dir, 'src') } },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
    // One embedded Postgres (+ local S3/Kinesis) for the whole run; each suite makes its own database.
    globalSetup: ['@tripcast/local-stack/vitest-global-setup'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
