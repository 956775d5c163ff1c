import { defineConfig } from 'vitest/config';

// The image tests start real node processes (CLIs, a console, moto_server) on machines whose two
// cores are shared by several test runs: generous timeouts keep a loaded machine from failing them.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
});
