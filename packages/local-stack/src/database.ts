import pg from 'pg';
import { LocalStackError } from './errors';

/** The URL with its password masked, safe to print. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable URL>';
  }
}

function describeConnectError(error: unknown): string {
  // Node reports a refused connection to a name with several addresses as an AggregateError with an empty message.
  const first = error instanceof AggregateError ? (error.errors[0] as unknown) : error;
  const { message, code } = (first ?? {}) as { message?: string; code?: string };
  if (code === 'ECONNREFUSED') return 'connection refused (is Postgres running there?)';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'unknown host';
  return message || code || String(error);
}

/** Connects once to check the URL; throws a one-line LocalStackError naming DATABASE_URL otherwise. */
export async function verifyDatabaseUrl(
  url: string,
  timeoutMs = 5_000,
): Promise<{ serverVersion: string }> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const { rows } = await client.query<{ version: string }>('show server_version');
    return { serverVersion: rows[0]?.version ?? 'unknown' };
  } catch (error) {
    throw new LocalStackError(
      `Cannot use DATABASE_URL=${redactUrl(url)}: ${describeConnectError(error)}`,
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Creates `database` on the server at adminUrl unless it exists. */
export async function ensureDatabase(adminUrl: string, database: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [
      database,
    ]);
    if (rowCount) return false;
    await client.query(`create database ${client.escapeIdentifier(database)}`);
    return true;
  } finally {
    await client.end();
  }
}
