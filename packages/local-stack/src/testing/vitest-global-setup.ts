/**
 * vitest globalSetup: one local stack (Postgres, Kinesis, S3) per `vitest run`, shared by all
 * test files of the package; each suite isolates itself with createTestDatabase(),
 * createTestBucket() and createTestStream(). Usage: packages/local-stack/README.md.
 */
import type { TestProject } from 'vitest/node';
import { startTestStack } from './test-stack';
import { TEST_STACK_ENV } from './types';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stack = await startTestStack();
  project.provide('tripcastTestStack', stack.info);
  // Also in the env: forked workers inherit it, and so do processes a test spawns (a CLI, a server).
  process.env[TEST_STACK_ENV] = JSON.stringify(stack.info);
  if (process.env.TRIPCAST_TEST_STACK_VERBOSE) {
    console.log(
      `[local-stack] test stack up in ${stack.info.timings.totalMs} ms: ${JSON.stringify(stack.info.timings)}`,
    );
  }
  return async () => {
    delete process.env[TEST_STACK_ENV];
    await stack.stop();
  };
}
