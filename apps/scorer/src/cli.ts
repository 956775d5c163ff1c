// Entry point: reads env, builds the program, maps failures to a message and exit code 1.
import { getScorerEnv } from './env';
import { createLogger } from './logger';
import { createProgram } from './program';

async function main(): Promise<void> {
  let env;
  try {
    env = getScorerEnv();
  } catch (error) {
    console.error(`scorer: ${(error as Error).message}`);
    process.exit(2);
  }
  const log = createLogger(env.LOG_LEVEL);
  const program = createProgram({ env, log, isTty: Boolean(process.stderr.isTTY), stdout: (text) => process.stdout.write(`${text}\n`) });
  try {
    await program.parseAsync(process.argv);
  } catch (error) {
    console.error(`scorer: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}

await main();
