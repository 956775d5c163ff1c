/**
 * On a database with no users, creates the first admin with a random password (there is no
 * default password). Does nothing when any user exists. `npm start` runs it before the console
 * starts (the console's `start:local`): the password goes to <TRIPCAST_HOME>/first-admin.txt
 * (mode 0600, and this shell's terminal), never to stdout, which npm start logs; on AWS the console task runs
 * it before the console (infra/modules/console) with FIRST_ADMIN_SECRET_ARN set, and the password
 * goes to that secret instead, never to the logs.
 *
 *   tsx scripts/ensure-first-admin.ts [--email admin@example.com]
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { getEnv } from '../src/env';
import { getAuth } from '../src/server/auth/auth';
import { createFilePasswordSink, FIRST_ADMIN_FILE } from '../src/server/auth/file-password-sink';
import { ensureFirstAdmin, type TPasswordSink } from '../src/server/auth/first-admin';
import { createSecretsManagerPasswordSink } from '../src/server/auth/secret-password-sink';
import { getConsoleDb } from '../src/server/db';

const HELP = `Usage: tsx scripts/ensure-first-admin.ts [--email <email>]

Creates the first console admin when the users table is empty, writes its password once to
<TRIPCAST_HOME>/first-admin.txt (mode 0600; also shown on this terminal when there is one) or,
with FIRST_ADMIN_SECRET_ARN, to that Secrets Manager secret, and prints only where it went.
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
  // On AWS the password goes to the secret; locally to a 0600 file (and this shell's terminal),
  // never to stdout: `npm start` tees stdout into <TRIPCAST_HOME>/logs/console.log.
  const sink: TPasswordSink = env.FIRST_ADMIN_SECRET_ARN
    ? createSecretsManagerPasswordSink({ secretId: env.FIRST_ADMIN_SECRET_ARN })
    : createFilePasswordSink({ file: path.join(env.tripcastHome, FIRST_ADMIN_FILE) });
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
    console.log(
      [
        '',
        `  No console users yet: created the first admin ${result.email}; its password is in ${result.storedIn}.`,
        `  Sign in at ${url}/sign-in, then create a user for each person on the Users page.`,
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
