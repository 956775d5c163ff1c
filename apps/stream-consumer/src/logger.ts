import pino from 'pino';

/** JSON logs on stdout (CloudWatch / the local supervisor prefix them); the level comes from LOG_LEVEL. */
export function createLogger(level: string) {
  return pino({ level, base: { app: 'stream-consumer' } });
}
