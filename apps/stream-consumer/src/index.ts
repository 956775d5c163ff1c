// Container / `npm start` entry: read env, run the consumer until SIGTERM.
import { readEnv } from './env';
import { createLogger } from './logger';
import { runConsumerService } from './service';

const env = readEnv();
await runConsumerService(env, createLogger(env.LOG_LEVEL));
