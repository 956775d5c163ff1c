import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const dir = path.dirname(fileURLToPath(import.meta.url));

// The browser end-to-end run: the real console (next build + server.ts) on the local-stack
// harness' Postgres, driven by Chromium through playwright-core. One file, run serially.
export default defineConfig({
  resolve: { alias: { '~': path.join(dir, '..', 'src') } },
  test: {
    root: path.join(dir, '..'),
    include: ['e2e/**/*.e2e.ts'],
    environment: 'node',
    globalSetup: ['@tripcast/local-stack/vitest-global-setup'],
    fileParallelism: false,
    // Generous: a cold `next build` on 2 shared cores takes minutes, a batch run tens of seconds.
    hookTimeout: 15 * 60_000,
    testTimeout: 3 * 60_000,
  },
});
