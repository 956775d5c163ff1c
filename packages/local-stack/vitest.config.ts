import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['@tripcast/local-stack/vitest-global-setup'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
