// Turns driver errors for a bad DATABASE_URL into one line a user can act on.

/** A database that cannot be used as configured; `message` is one line, without the password. */
export class DatabaseConnectionError extends Error {
  override readonly name = 'DatabaseConnectionError';
}

/** `host:port/database` of a Postgres URL, never its credentials. */
function describeDatabaseTarget(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || '(default database)';
    return `${url.hostname || 'localhost'}:${url.port || '5432'}/${database}`;
  } catch {
    return '(unparseable URL)';
  }
}

/** Throws a DatabaseConnectionError when the URL is not a Postgres URL at all. */
export function assertPostgresUrl(databaseUrl: string): void {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    throw new DatabaseConnectionError(
      'DATABASE_URL is not a valid URL (expected postgresql://user:password@host:port/database)',
    );
  }
  if (url.protocol !== 'postgresql:' && url.protocol !== 'postgres:') {
    throw new DatabaseConnectionError(
      `DATABASE_URL must start with postgresql:// or postgres://, got ${url.protocol}//`,
    );
  }
}

type TDriverError = { code?: string; message?: string; errors?: TDriverError[] };

/**
 * Maps a connection-time error from `pg` to a DatabaseConnectionError naming the problem, or
 * returns the error unchanged when it is not about reaching or logging into the database.
 */
export function toConnectionError(error: unknown, databaseUrl: string): unknown {
  if (error instanceof DatabaseConnectionError) return error;
  const target = describeDatabaseTarget(databaseUrl);
  const driverError = (error ?? {}) as TDriverError;
  // Node reports "localhost" failures as an AggregateError of the IPv4 and IPv6 attempts.
  const code = driverError.code ?? driverError.errors?.[0]?.code;
  const user = safeUser(databaseUrl);
  switch (code) {
    case 'ECONNREFUSED':
      return new DatabaseConnectionError(
        `cannot reach Postgres at ${target}: connection refused (is the server running and DATABASE_URL right?)`,
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new DatabaseConnectionError(`cannot reach Postgres at ${target}: unknown host`);
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new DatabaseConnectionError(`cannot reach Postgres at ${target}: ${code}`);
    case '28P01':
    case '28000':
      return new DatabaseConnectionError(
        `Postgres at ${target} refused login for user "${user}": ${driverError.message ?? 'authentication failed'}`,
      );
    case '3D000':
      return new DatabaseConnectionError(
        `database does not exist at ${target} (create it, or fix the database name in DATABASE_URL)`,
      );
    default:
      // pg's client-side SCRAM step fails before any server error when the URL has no password.
      if (driverError.message?.startsWith('SASL:')) {
        return new DatabaseConnectionError(
          `Postgres at ${target} requires a password for user "${user}" (add it to DATABASE_URL)`,
        );
      }
      if (
        driverError.message?.includes('timeout expired') ||
        driverError.message?.includes('Connection terminated due to connection timeout')
      ) {
        return new DatabaseConnectionError(
          `cannot reach Postgres at ${target}: connection timed out`,
        );
      }
      return error;
  }
}

function safeUser(databaseUrl: string): string {
  try {
    return decodeURIComponent(new URL(databaseUrl).username) || '(default user)';
  } catch {
    return '(unknown)';
  }
}

/**
 * True when Postgres refused a statement because of the DATA it carried (SQLSTATE class 22 data
 * exception, e.g. 22021 "invalid byte sequence for encoding UTF8: 0x00"; class 23 integrity
 * constraint; class 54 program limit, e.g. an index row too large), so retrying the same rows
 * can never succeed. Anything else (no SQLSTATE: a socket error or timeout; class 08
 * connection, 53 resources, 57 operator intervention, 40 rollback) is worth retrying.
 * https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
export function isDataRefusal(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(22|23|54)[0-9A-Z]{3}$/.test(code);
}
