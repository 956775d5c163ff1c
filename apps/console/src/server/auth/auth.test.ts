/**
 * Sign-in through the real better-auth handler (auth.handler: what the /api/auth route serves)
 * over a real migrated Postgres: users created the way the users page and `npm start` create them,
 * sessions as cookies, the throttle on bad passwords whatever the body's encoding, Origin required.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestAuth, createTestConsole, type TTestConsole } from '../testing/context';
import { createAuth, getBaseUrl, getSessionUser, getTrustedOrigins, type TAuth } from './auth';
import { PASSWORD_CHECKING_PATHS } from './credential-guard';
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

/** The same credentials as a no-JS HTML form would post them (better-auth accepts this on sign-in). */
function formSignInRequest(email: string, password: string, headers: Record<string, string> = {}, path = '/api/auth/sign-in/email') {
  return new Request(`${BASE}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-tripcast-client-ip': '10.0.0.1', ...headers },
    body: new URLSearchParams({ email, password }).toString(),
  });
}

/** An auth instance with its own throttle, so each test starts with no failures counted. */
function authWithThrottle(maxFailures = 3) {
  return createTestAuth(t.db, { throttle: createSignInThrottle({ maxFailures, windowMs: 60_000 }) });
}

beforeAll(async () => {
  t = await createTestConsole();
  auth = createTestAuth(t.db);
  await createConsoleUser({ auth, db: t.db }, { email: 'Ana@Example.com', name: 'Ana', role: 'analyst', password: PASSWORD, actor: 'admin@example.com' });
});
afterAll(() => t.close());

describe('sign-in', () => {
  it('signs in with email + password into an HttpOnly, SameSite=Lax session cookie that carries the role', async () => {
    const res = await authWithThrottle().handler(signInRequest('ana@example.com', PASSWORD));
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
    const a = authWithThrottle();
    for (let i = 0; i < 3; i++) expect((await a.handler(signInRequest('ana@example.com', 'wrong password!'))).status).toBe(401);
    const throttled = await a.handler(signInRequest('ana@example.com', PASSWORD));
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(50);
    expect(((await throttled.json()) as { message: string }).message).toMatch(/Too many failed password attempts/);
    // The same email spelled differently is the same key.
    expect((await a.handler(signInRequest(' ANA@example.com', PASSWORD))).status).toBe(429);
    // Another client IP is not locked out by these failures.
    expect((await a.handler(signInRequest('ana@example.com', PASSWORD, '10.0.0.2'))).status).toBe(200);
  });

  it('answers no credential post that is form-encoded or lacks a trusted Origin, and counts them against the lockout', async () => {
    const a = authWithThrottle();
    // Form-encoded and without Origin, this signed in (200) before credentialGuard checked bodies.
    const noOrigin = await a.handler(formSignInRequest('ana@example.com', PASSWORD));
    expect(noOrigin.status).toBe(403);
    expect(await noOrigin.json()).toMatchObject({ code: 'UNTRUSTED_ORIGIN', message: 'Missing Origin header' });
    expect(noOrigin.headers.get('set-cookie')).toBeNull();
    expect((await a.handler(formSignInRequest('ana@example.com', PASSWORD, { origin: 'https://evil.example' }))).status).toBe(403);
    const form = await a.handler(formSignInRequest('ana@example.com', PASSWORD, { origin: BASE }));
    expect(form.status).toBe(415);
    expect(await form.json()).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
    expect(form.headers.get('set-cookie')).toBeNull();
    // JSON without an Origin (curl) is refused too, before any password is checked.
    const curl = new Request(`${BASE}/api/auth/sign-in/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'ana@example.com', password: PASSWORD }),
    });
    expect((await a.handler(curl)).status).toBe(403);

    // Locked out through JSON, every other spelling of the same sign-in stays locked.
    for (let i = 0; i < 3; i++) expect((await a.handler(signInRequest('ana@example.com', 'wrong password!'))).status).toBe(401);
    expect((await a.handler(signInRequest('ana@example.com', PASSWORD))).status).toBe(429);
    const variants = [
      new Request(`${BASE}/api/auth/sign-in/email/?x=1`, signInRequest('ana@example.com', PASSWORD)),
      new Request(`${BASE}/api/auth/sign-in/email`, {
        method: 'POST',
        headers: { 'content-type': 'application/vnd.api+json; charset=utf-8', origin: BASE, 'x-tripcast-client-ip': '10.0.0.1' },
        body: JSON.stringify({ email: 'Ana@Example.com', password: PASSWORD }),
      }),
    ];
    for (const request of variants) {
      const res = await a.handler(request);
      expect(res.status, request.url).not.toBe(200);
      expect(res.headers.get('set-cookie'), request.url).toBeNull();
    }
  });

  it('throttles change-password guesses per signed-in user', async () => {
    await createConsoleUser({ auth, db: t.db }, { email: 'bo@example.com', name: 'Bo', role: 'viewer', password: PASSWORD, actor: 'test' });
    const a = authWithThrottle();
    const signedIn = await a.handler(signInRequest('bo@example.com', PASSWORD));
    expect(signedIn.status).toBe(200);
    const cookie = (signedIn.headers.get('set-cookie') ?? '').split(';')[0]!;
    const changePassword = (currentPassword: string, ip: string) =>
      a.handler(new Request(`${BASE}/api/auth/change-password`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: BASE, cookie, 'x-tripcast-client-ip': ip },
        body: JSON.stringify({ currentPassword, newPassword: 'a brand new password' }),
      }));
    // From three addresses: a stolen session gets no more guesses by moving around.
    for (const ip of ['10.0.1.1', '10.0.1.2', '10.0.1.3']) expect((await changePassword('wrong password!', ip)).status).toBe(400);
    const locked = await changePassword(PASSWORD, '10.0.1.4');
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(50);
    // The password did not change.
    expect((await authWithThrottle().handler(signInRequest('bo@example.com', PASSWORD))).status).toBe(200);
  });

  it('throttles every better-auth endpoint that checks a password (a new one fails this test until reviewed)', () => {
    // Endpoints whose body carries a password but never compares it with a stored one: they SET it
    // (admin-only, self sign-up disabled, or a single-use reset token that we never issue).
    const SETS_ONLY = new Set(['/sign-up/email', '/reset-password', '/set-password', '/admin/create-user', '/admin/set-user-password']);
    const withPassword = Object.values(auth.api as Record<string, { path?: string; options?: { body?: { shape?: Record<string, unknown> } } }>)
      .filter((endpoint) => endpoint.path && Object.keys(endpoint.options?.body?.shape ?? {}).some((field) => /password/i.test(field)))
      .map((endpoint) => endpoint.path!)
      .sort();
    expect(withPassword).toContain('/sign-in/email');
    expect(withPassword).toContain('/change-password');
    const unreviewed = withPassword.filter((p) => !SETS_ONLY.has(p) && !Object.hasOwn(PASSWORD_CHECKING_PATHS, p));
    expect(unreviewed).toEqual([]);
  });

  it('refuses self sign-up (admins create users)', async () => {
    const res = await auth.handler(new Request(`${BASE}/api/auth/sign-up/email`, {
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

describe('base URL', () => {
  it('locally (no CONSOLE_PUBLIC_URL) knows its base URL: no start-up warning, and sign-in works on localhost and 127.0.0.1 at any port', async () => {
    const env = { CONSOLE_PUBLIC_URL: undefined, CONSOLE_PORT: 3171 };
    // better-auth reports a missing base URL through console.warn when it initialises.
    const warn = vi.spyOn(console, 'warn');
    try {
      const local = createAuth({ db: t.db, secret: 'test-secret-test-secret-test-secret-0123', baseURL: getBaseUrl(env), trustedOrigins: getTrustedOrigins(env) });
      for (const origin of ['http://localhost:3171', 'http://127.0.0.1:4000']) {
        const res = await local.handler(new Request(`${origin}/api/auth/sign-in/email`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', origin, host: new URL(origin).host, 'x-tripcast-client-ip': '10.0.0.9' },
          body: JSON.stringify({ email: 'ana@example.com', password: PASSWORD }),
        }));
        expect(res.status, origin).toBe(200);
      }
      expect(warn.mock.calls.flat().join('\n')).not.toContain('Base URL is not set');
    } finally {
      warn.mockRestore();
    }
  });

  it('deployed, is CONSOLE_PUBLIC_URL', () => {
    expect(getBaseUrl({ CONSOLE_PUBLIC_URL: 'https://console.example.com', CONSOLE_PORT: 3000 })).toBe('https://console.example.com');
  });
});
