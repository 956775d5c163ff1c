import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // One embedded Postgres (and the local AWS endpoints) for the whole run, from the local-stack harness.
    globalSetup: ['@tripcast/local-stack/vitest-global-setup'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
