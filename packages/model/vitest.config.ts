import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // One Postgres + kinesalite + s3rver for the whole `vitest run`, stopped at the end.
    globalSetup: ['@tripcast/local-stack/vitest-global-setup'],
    // The shared 2-core machine is often busy: generous timeouts, no timed assertions.
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
