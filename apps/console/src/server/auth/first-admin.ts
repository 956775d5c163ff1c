// The console's first admin: created once, on a database with no users, with a random password
// handed to one place the operator controls (a sink): a Secrets Manager secret on AWS (the
// deploy's output names it), the terminal of `npm start` locally. There is no default password.
import { countUsers } from '@tripcast/db/queries/users';
import type { TDb } from '@tripcast/db/client';
import type { TAuth } from './auth';
import { createConsoleUser, generatePassword } from './users';

/** The one-time credentials of the first admin, as a sink receives them. */
export type TFirstAdminCredentials = { email: string; password: string; signInUrl: string };

/** Where the first admin's password goes. It is called BEFORE the user exists (see ensureFirstAdmin). */
export type TPasswordSink = {
  store(credentials: TFirstAdminCredentials): Promise<void>;
  /** Where it went, for the log line (never the password). */
  describe(): string;
};

/** Any constant; two console tasks starting at once take this lock in turn. */
const FIRST_ADMIN_LOCK_KEY = 0x7ca6;

export type TEnsureFirstAdminResult =
  { created: false } | { created: true; email: string; storedIn: string };

/**
 * Creates the first admin when the users table is empty; does nothing otherwise.
 * - Serialised by a transaction-scoped advisory lock: of several first starts (console tasks,
 *   `npm start` twice), one creates the admin and the others then find a user and return.
 * - The password is stored BEFORE the user is created: if storing fails, no admin exists and the
 *   next start tries again; the other order could leave an admin whose password nobody has.
 */
export async function ensureFirstAdmin(
  deps: { auth: TAuth; db: TDb },
  options: { email: string; actor: string; signInUrl: string; sink: TPasswordSink },
): Promise<TEnsureFirstAdminResult> {
  return deps.db.$transaction(
    async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(${FIRST_ADMIN_LOCK_KEY}::int)`;
      if ((await countUsers(deps.db)) > 0) return { created: false as const };
      const password = generatePassword();
      await options.sink.store({ email: options.email, password, signInUrl: options.signInUrl });
      await createConsoleUser(deps, {
        email: options.email,
        name: 'Admin',
        role: 'admin',
        password,
        actor: options.actor,
      });
      return { created: true as const, email: options.email, storedIn: options.sink.describe() };
    },
    { maxWait: 60_000, timeout: 120_000 },
  );
}
