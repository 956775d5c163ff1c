/**
 * On a database with no users, creates the first admin with a random password (there is no
 * default password). Does nothing when any user exists. `npm start` runs it before the console
 * starts (the console's `start:local`) and prints once how to sign in; on AWS the console task runs
 * it before the console (infra/modules/console) with FIRST_ADMIN_SECRET_ARN set, and the password
 * goes to that secret instead, never to the logs.
 *
 *   tsx scripts/ensure-first-admin.ts [--email admin@example.com]
 */
import { parseArgs } from 'node:util';
import { getEnv } from '../src/env';
import { getAuth } from '../src/server/auth/auth';
import {
  ensureFirstAdmin,
  type TFirstAdminCredentials,
  type TPasswordSink,
} from '../src/server/auth/first-admin';
import { createSecretsManagerPasswordSink } from '../src/server/auth/secret-password-sink';
import { getConsoleDb } from '../src/server/db';

const HELP = `Usage: tsx scripts/ensure-first-admin.ts [--email <email>]

Creates the first console admin when the users table is empty and prints its password once
(or, with FIRST_ADMIN_SECRET_ARN, stores it in that Secrets Manager secret and prints where).
  --email   the admin's email (default admin@tripcast.local)
Environment: DATABASE_URL (required), CONSOLE_PUBLIC_URL / CONSOLE_PORT (for the sign-in URL),
FIRST_ADMIN_SECRET_ARN (AWS), AWS_REGION.`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      email: { type: 'string', default: 'admin@tripcast.local' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const env = getEnv();
  const db = getConsoleDb();
  const url = env.CONSOLE_PUBLIC_URL ?? `http://localhost:${env.CONSOLE_PORT}`;
  // Locally the credentials are printed once the admin exists; on AWS they go to the secret.
  let printed: TFirstAdminCredentials | undefined;
  const sink: TPasswordSink = env.FIRST_ADMIN_SECRET_ARN
    ? createSecretsManagerPasswordSink({ secretId: env.FIRST_ADMIN_SECRET_ARN })
    : {
        store: (credentials) => {
          printed = credentials;
          return Promise.resolve();
        },
        describe: () => 'this terminal',
      };
  try {
    const result = await ensureFirstAdmin(
      { auth: getAuth(), db },
      {
        email: values.email,
        actor: env.FIRST_ADMIN_SECRET_ARN ? 'deploy (first admin)' : 'npm start (first admin)',
        signInUrl: `${url}/sign-in`,
        sink,
      },
    );
    if (!result.created) return;
    if (!printed) {
      console.log(
        `[console] no console users yet: created the first admin ${result.email}; its password is in ${result.storedIn}`,
      );
      return;
    }
    console.log(
      [
        '',
        '  No console users yet: created the first admin. This is shown ONCE; keep it somewhere safe.',
        `    sign in at  ${printed.signInUrl}`,
        `    email       ${printed.email}`,
        `    password    ${printed.password}`,
        '  Then create a user for each person on the Users page (viewer, analyst or admin).',
        '',
      ].join('\n'),
    );
  } finally {
    await db.$disconnect();
  }
}

main().catch((error: unknown) => {
  console.error(
    `[console] could not create the first admin: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exit(1);
});
