/**
 * Sign-in through the real better-auth handler over a real migrated Postgres: users created the
 * way the users page and `npm start` create them, sessions as cookies, the throttle on bad passwords.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestAuth, createTestConsole, type TTestConsole } from '../testing/context';
import { getSessionUser, type TAuth } from './auth';
import { createAuthRouteHandlers } from './auth-route';
import { checkMutationOrigin } from './request-guard';
import { createSignInThrottle } from './sign-in-throttle';
import { createConsoleUser } from './users';

const BASE = 'http://127.0.0.1:3000';
const PASSWORD = 'correct horse battery';

let t: TTestConsole;
let auth: TAuth;

function signInRequest(email: string, password: string, ip = '10.0.0.1') {
  return new Request(`${BASE}/api/auth/sign-in/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: BASE, 'x-tripcast-client-ip': ip },
    body: JSON.stringify({ email, password }),
  });
}

beforeAll(async () => {
  t = await createTestConsole();
  auth = createTestAuth(t.db);
  await createConsoleUser({ auth, db: t.db }, { email: 'Ana@Example.com', name: 'Ana', role: 'analyst', password: PASSWORD, actor: 'admin@example.com' });
});
afterAll(() => t.close());

describe('sign-in', () => {
  it('signs in with email + password into an HttpOnly, SameSite=Lax session cookie that carries the role', async () => {
    const routes = createAuthRouteHandlers(auth, createSignInThrottle());
    const res = await routes.POST(signInRequest('ana@example.com', PASSWORD));
    expect(res.status).toBe(200);
    const setCookie = res.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/better-auth\.session_token=/);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    expect(setCookie).not.toMatch(/Secure/i); // http://127.0.0.1: Secure only over https
    const cookie = setCookie.split(';')[0]!;
    const user = await getSessionUser(auth, new Headers({ cookie }));
    expect(user).toMatchObject({ email: 'ana@example.com', role: 'analyst' });
    expect(await getSessionUser(auth, new Headers())).toBeNull();
    expect(await getSessionUser(auth, new Headers({ cookie: `${cookie}x` }))).toBeNull();

    const audit = await t.db.auditLog.findMany({ where: { action: 'user.create' }, select: { actor: true, details: true } });
    expect(audit).toEqual([{ actor: 'admin@example.com', details: { email: 'ana@example.com', role: 'analyst' } }]);
  });

  it('throttles repeated bad passwords per email + IP with 429 and Retry-After; a right password before that works', async () => {
    const routes = createAuthRouteHandlers(auth, createSignInThrottle({ maxFailures: 3, windowMs: 60_000 }));
    for (let i = 0; i < 3; i++) expect((await routes.POST(signInRequest('ana@example.com', 'wrong password!'))).status).toBe(401);
    const throttled = await routes.POST(signInRequest('ana@example.com', PASSWORD));
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(50);
    expect(((await throttled.json()) as { message: string }).message).toMatch(/Too many failed sign-ins/);
    // Another client IP is not locked out by these failures.
    expect((await routes.POST(signInRequest('ana@example.com', PASSWORD, '10.0.0.2'))).status).toBe(200);
  });

  it('refuses self sign-up (admins create users)', async () => {
    const routes = createAuthRouteHandlers(auth, createSignInThrottle());
    const res = await routes.POST(new Request(`${BASE}/api/auth/sign-up/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: BASE },
      body: JSON.stringify({ email: 'mallory@example.com', password: 'mallory-password', name: 'M' }),
    }));
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(await t.db.user.count({ where: { email: 'mallory@example.com' } })).toBe(0);
  });

  it('accepts mutations only from a trusted origin', async () => {
    const post = (origin?: string) => new Request(`${BASE}/api/trpc/runs.trigger`, { method: 'POST', headers: origin ? { origin } : {} });
    expect(await checkMutationOrigin(auth, post(BASE))).toBeNull();
    expect(await checkMutationOrigin(auth, post('http://localhost:3999'))).toBeNull();
    expect((await checkMutationOrigin(auth, post('https://evil.example')))?.status).toBe(403);
    expect((await checkMutationOrigin(auth, post()))?.status).toBe(403);
    expect(await checkMutationOrigin(auth, new Request(`${BASE}/api/trpc/runs.list`))).toBeNull();
  });
});
