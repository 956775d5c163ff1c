/**
 * User management through the routers, over better-auth's real endpoints on a real Postgres: the
 * acting user's session comes from a real sign-in (its cookie in the context's headers), as in a
 * browser request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getSessionUser, type TAuth } from '../../auth/auth';
import { createConsoleUser } from '../../auth/users';
import type { TSessionUser } from '../../auth/roles';
import { createTestAuth, createTestConsole, type TTestConsole } from '../../testing/context';
import { createCaller } from '../root';
import { createContextInner } from '../trpc';

const BASE = 'http://127.0.0.1:3000';
const PASSWORD = 'correct horse battery';

let t: TTestConsole;
let auth: TAuth;

async function signIn(email: string, password: string): Promise<Headers | null> {
  const res = await auth.handler(
    new Request(`${BASE}/api/auth/sign-in/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: BASE, 'x-tripcast-client-ip': '10.0.0.9' },
      body: JSON.stringify({ email, password }),
    }),
  );
  if (res.status !== 200) return null;
  return new Headers({ cookie: (res.headers.get('set-cookie') ?? '').split(';')[0]! });
}

/** A caller acting as whoever `headers` signs in, as the tRPC route builds it. */
async function callerFor(headers: Headers) {
  const user = (await getSessionUser(auth, headers)) as TSessionUser;
  return createCaller(
    createContextInner({
      db: t.db,
      modelName: 'ride_duration_prediction_model',
      storeUri: '/nonexistent-store',
      storeOptions: {},
      user,
      actor: user.email,
      headers,
      getAuth: () => auth,
      getModelWatcher: () => Promise.reject(new Error('unused')),
      getZoneTable: () => Promise.resolve(null),
    }),
  );
}

const audit = async () =>
  (await t.db.auditLog.findMany({ select: { action: true, actor: true }, orderBy: { id: 'asc' } })).map(
    (a) => `${a.action} by ${a.actor}`,
  );

let adminId: string;
let userId: string;

beforeAll(async () => {
  t = await createTestConsole();
  auth = createTestAuth(t.db);
  adminId = (
    await createConsoleUser(
      { auth, db: t.db },
      { email: 'boss@example.com', name: 'Boss', role: 'admin', password: PASSWORD, actor: 'setup' },
    )
  ).id;
  userId = (
    await createConsoleUser(
      { auth, db: t.db },
      { email: 'vera@example.com', name: 'Vera', role: 'viewer', password: PASSWORD, actor: 'setup' },
    )
  ).id;
});
afterAll(() => t.close());

describe('users router', () => {
  it('an admin changes a role; the user has it at their next request', async () => {
    const admin = await callerFor((await signIn('boss@example.com', PASSWORD))!);
    const vera = (await signIn('vera@example.com', PASSWORD))!;
    expect((await getSessionUser(auth, vera))?.role).toBe('viewer');
    await admin.users.setRole({ userId, role: 'analyst' });
    expect((await getSessionUser(auth, vera))?.role).toBe('analyst');
    expect((await admin.users.list()).find((u) => u.id === userId)?.role).toBe('analyst');
    // Not on themself: an admin could otherwise leave the console without one.
    await expect(admin.users.setRole({ userId: adminId, role: 'viewer' })).rejects.toThrow(
      /cannot change the role of yourself/,
    );
    expect(await audit()).toContain('user.set_role by boss@example.com');
  });

  it('an admin disables a user (signed out at once, no sign-in) and enables them again', async () => {
    const admin = await callerFor((await signIn('boss@example.com', PASSWORD))!);
    const vera = (await signIn('vera@example.com', PASSWORD))!;
    await admin.users.setDisabled({ userId, isDisabled: true });
    expect(await getSessionUser(auth, vera)).toBeNull();
    expect(await signIn('vera@example.com', PASSWORD)).toBeNull();
    expect((await admin.users.list()).find((u) => u.id === userId)?.banned).toBe(true);
    await admin.users.setDisabled({ userId, isDisabled: false });
    expect(await signIn('vera@example.com', PASSWORD)).not.toBeNull();
    expect(await audit()).toEqual(
      expect.arrayContaining(['user.disable by boss@example.com', 'user.enable by boss@example.com']),
    );
  });

  it('an admin resets a password: the new one (shown once) signs in, the old one and old sessions do not', async () => {
    const admin = await callerFor((await signIn('boss@example.com', PASSWORD))!);
    const vera = (await signIn('vera@example.com', PASSWORD))!;
    const { email, password } = await admin.users.resetPassword({ userId });
    expect(email).toBe('vera@example.com');
    expect(password).toMatch(/^[\w-]{20}$/);
    expect(await getSessionUser(auth, vera)).toBeNull();
    expect(await signIn('vera@example.com', PASSWORD)).toBeNull();
    expect(await signIn('vera@example.com', password)).not.toBeNull();
    expect(await audit()).toContain('user.reset_password by boss@example.com');
    // Put the known password back for the next test.
    await (await callerFor((await signIn('vera@example.com', password))!)).users.changeOwnPassword({
      currentPassword: password,
      newPassword: PASSWORD,
    });
  });

  it('anyone changes their own password, given the current one, and is then signed out', async () => {
    const vera = (await signIn('vera@example.com', PASSWORD))!;
    const self = await callerFor(vera);
    await expect(
      self.users.changeOwnPassword({ currentPassword: 'not my password', newPassword: 'a brand new passphrase' }),
    ).rejects.toThrow(/current password is wrong/);
    await expect(
      self.users.changeOwnPassword({ currentPassword: PASSWORD, newPassword: 'short' }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(
      await self.users.changeOwnPassword({ currentPassword: PASSWORD, newPassword: 'a brand new passphrase' }),
    ).toEqual({ isSignedOut: true });
    expect(await getSessionUser(auth, vera)).toBeNull();
    expect(await signIn('vera@example.com', PASSWORD)).toBeNull();
    expect(await signIn('vera@example.com', 'a brand new passphrase')).not.toBeNull();
    expect(await audit()).toContain('user.change_password by vera@example.com');
  });

  it('a non-admin cannot use the admin actions, even through better-auth directly', async () => {
    const vera = (await signIn('vera@example.com', 'a brand new passphrase'))!;
    const self = await callerFor(vera);
    await expect(self.users.setRole({ userId, role: 'admin' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(auth.api.setRole({ body: { userId, role: 'admin' }, headers: vera })).rejects.toThrow();
  });
});
