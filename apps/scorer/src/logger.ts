// JSON logs (pino) on stderr, so stdout stays for results a caller may parse (`--json`).
import pino, { type Logger } from 'pino';

export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'scorer' } }, pino.destination({ fd: 2, sync: true }));
}
