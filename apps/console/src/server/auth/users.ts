// Creating console users (through better-auth, which hashes the password) with an audit row.
import { randomBytes } from 'node:crypto';
import { recordAudit } from '@tripcast/db/queries/audit';
import type { TDb } from '@tripcast/db/client';
import type { TAuth } from './auth';
import type { TRole } from './roles';

export class UserExistsError extends Error {}

/** 20 random characters: what `npm start` and the users page hand out when no password is chosen. */
export function generatePassword(): string {
  return randomBytes(15).toString('base64url');
}

export async function createConsoleUser(
  { auth, db }: { auth: TAuth; db: TDb },
  input: { email: string; name: string; role: TRole; password: string; actor: string },
): Promise<{ id: string; email: string; role: TRole }> {
  const email = input.email.toLowerCase();
  if (await db.user.findUnique({ where: { email }, select: { id: true } })) {
    throw new UserExistsError(`A user with the email ${email} exists already`);
  }
  // Called without request headers: better-auth's admin createUser then trusts the server.
  const { user } = await auth.api.createUser({
    body: { email, name: input.name, password: input.password, role: input.role, data: { createdBy: input.actor, emailVerified: true } },
  });
  await recordAudit(db, {
    actor: input.actor,
    action: 'user.create',
    targetType: 'user',
    targetId: user.id,
    details: { email, role: input.role },
  });
  return { id: user.id, email, role: input.role };
}
