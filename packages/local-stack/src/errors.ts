/**
 * A problem the user can fix (a port in use, an unreachable DATABASE_URL, a bad setting).
 * The CLI prints its message as one line, without a stack trace.
 */
export class LocalStackError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LocalStackError';
  }
}
