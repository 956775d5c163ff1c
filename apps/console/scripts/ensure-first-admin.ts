/**
 * On a database with no users, creates the first admin with a random password and prints once how
 * to sign in (there is no default password). Does nothing when any user exists. `npm start` runs
 * it before the console starts (the console's `start:local`).
 *
 *   tsx scripts/ensure-first-admin.ts [--email admin@example.com]
 */
import { parseArgs } from 'node:util';
import { countUsers } from '@tripcast/db/queries/users';
import { getEnv } from '../src/env';
import { getAuth } from '../src/server/auth/auth';
import { createConsoleUser, generatePassword } from '../src/server/auth/users';
import { getConsoleDb } from '../src/server/db';

const HELP = `Usage: tsx scripts/ensure-first-admin.ts [--email <email>]

Creates the first console admin when the users table is empty and prints its password once.
  --email   the admin's email (default admin@tripcast.local)
Environment: DATABASE_URL (required), CONSOLE_PUBLIC_URL / CONSOLE_PORT (for the sign-in URL printed).`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { email: { type: 'string', default: 'admin@tripcast.local' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const env = getEnv();
  const db = getConsoleDb();
  try {
    if ((await countUsers(db)) > 0) return;
    const password = generatePassword();
    await createConsoleUser(
      { auth: getAuth(), db },
      { email: values.email, name: 'Admin', role: 'admin', password, actor: 'npm start (first admin)' },
    );
    const url = env.CONSOLE_PUBLIC_URL ?? `http://localhost:${env.CONSOLE_PORT}`;
    console.log(
      [
        '',
        '  No console users yet: created the first admin. This is shown ONCE; keep it somewhere safe.',
        `    sign in at  ${url}/sign-in`,
        `    email       ${values.email}`,
        `    password    ${password}`,
        '  Then create a user for each person on the Users page (viewer, analyst or admin).',
        '',
      ].join('\n'),
    );
  } finally {
    await db.$disconnect();
  }
}

main().catch((error: unknown) => {
  console.error(`[console] could not create the first admin: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
