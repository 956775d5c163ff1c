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

// ---- Managing users --------------------------------------------------------------------------
// Through better-auth's own admin and account endpoints (auth.api.*), called with the acting
// user's request headers: better-auth checks that session (an admin for the admin endpoints, the
// user themself for a password change) and its plugins run as for any request, including the
// credential guard's password throttle. Each change is recorded in the audit log.

/** A refusal the user can act on (the router answers it as a 400 with this message). */
export class UserChangeRefusedError extends Error {}

type TUserAdminContext = { auth: TAuth; db: TDb; headers: Headers };

async function requireOtherUser(
  ctx: TUserAdminContext,
  input: { userId: string; actorId: string },
  verb: string,
) {
  if (input.userId === input.actorId)
    throw new UserChangeRefusedError(`You cannot ${verb} yourself: ask another admin`);
  const user = await ctx.db.user.findUnique({
    where: { id: input.userId },
    select: { id: true, email: true, role: true, banned: true },
  });
  if (!user) throw new UserChangeRefusedError(`No user ${input.userId}`);
  return user;
}

/** Change another user's role (an admin cannot demote themself, so an admin always remains). */
export async function setConsoleUserRole(
  ctx: TUserAdminContext,
  input: { userId: string; role: TRole; actorId: string; actor: string },
): Promise<void> {
  const user = await requireOtherUser(ctx, input, 'change the role of');
  if (user.role === input.role) return;
  await ctx.auth.api.setRole({ body: { userId: user.id, role: input.role }, headers: ctx.headers });
  await recordAudit(ctx.db, {
    actor: input.actor,
    action: 'user.set_role',
    targetType: 'user',
    targetId: user.id,
    details: { email: user.email, from: user.role, to: input.role },
  });
}

/**
 * Disable (better-auth's ban: no sign-in, every session revoked at once) or enable a user.
 * Their audit history and what they created stay.
 */
export async function setConsoleUserDisabled(
  ctx: TUserAdminContext,
  input: { userId: string; isDisabled: boolean; actorId: string; actor: string },
): Promise<void> {
  const user = await requireOtherUser(ctx, input, input.isDisabled ? 'disable' : 'enable');
  if (Boolean(user.banned) === input.isDisabled) return;
  if (input.isDisabled) {
    await ctx.auth.api.banUser({
      body: { userId: user.id, banReason: `disabled by ${input.actor}` },
      headers: ctx.headers,
    });
  } else {
    await ctx.auth.api.unbanUser({ body: { userId: user.id }, headers: ctx.headers });
  }
  await recordAudit(ctx.db, {
    actor: input.actor,
    action: input.isDisabled ? 'user.disable' : 'user.enable',
    targetType: 'user',
    targetId: user.id,
    details: { email: user.email },
  });
}

/** Give a user a new random password (returned once) and sign them out everywhere. */
export async function resetConsoleUserPassword(
  ctx: TUserAdminContext,
  input: { userId: string; actorId: string; actor: string },
): Promise<{ email: string; password: string }> {
  const user = await requireOtherUser(ctx, input, 'reset the password of');
  const password = generatePassword();
  await ctx.auth.api.setUserPassword({
    body: { userId: user.id, newPassword: password },
    headers: ctx.headers,
  });
  await ctx.auth.api.revokeUserSessions({ body: { userId: user.id }, headers: ctx.headers });
  await recordAudit(ctx.db, {
    actor: input.actor,
    action: 'user.reset_password',
    targetType: 'user',
    targetId: user.id,
    details: { email: user.email },
  });
  return { email: user.email, password };
}

/**
 * The signed-in user changes their own password (the current one is checked, and throttled like
 * a sign-in). Every session of theirs is revoked, this one included: they sign in again.
 */
export async function changeOwnPassword(
  ctx: TUserAdminContext,
  input: { userId: string; actor: string; currentPassword: string; newPassword: string },
): Promise<void> {
  try {
    await ctx.auth.api.changePassword({
      body: {
        currentPassword: input.currentPassword,
        newPassword: input.newPassword,
        revokeOtherSessions: false,
      },
      headers: ctx.headers,
    });
  } catch (error) {
    const code = (error as { body?: { code?: string } }).body?.code;
    if (code === 'INVALID_PASSWORD') throw new UserChangeRefusedError('The current password is wrong');
    throw error;
  }
  // All of the user's sessions, this one too (the page then asks them to sign in again).
  await ctx.auth.api.revokeSessions({ headers: ctx.headers });
  await recordAudit(ctx.db, {
    actor: input.actor,
    action: 'user.change_password',
    targetType: 'user',
    targetId: input.userId,
  });
}
