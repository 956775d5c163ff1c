/**
 * The sign-in lockout over real HTTP against the real console (server.ts + the Next build): once JSON
 * sign-in is locked for an email, a form-encoded post of the right password (with or without an
 * Origin) is refused too, and no credential post without a trusted Origin is answered. Before the
 * guard (credential-guard.ts) a form-encoded body skipped the throttle: 401 per wrong guess, 200 and a session for the right one.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDbClient, type TDb } from '@tripcast/db/client';
import { createMigratedTestDatabase, type TTestDatabase } from '@tripcast/db/testing';
import { buildConsoleIfStale, startConsole, type TRunningConsole } from './support/console-server';
import { createE2eUsers, E2E_USERS } from './support/users';

const log = (line: string) => console.log(`[e2e auth] ${line}`);
const { email, password } = E2E_USERS.viewer;

describe('sign-in over HTTP', () => {
  let database: TTestDatabase;
  let db: TDb;
  let home: string;
  let app: TRunningConsole;

  beforeAll(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'tripcast-e2e-auth-'));
    database = await createMigratedTestDatabase();
    db = createDbClient(database.url);
    await createE2eUsers(db);
    buildConsoleIfStale(log);
    app = await startConsole({ DATABASE_URL: database.url, TRIPCAST_HOME: home, OBJECT_STORE_URI: path.join(home, 'store') });
  });
  afterAll(async () => {
    await app?.stop();
    await db?.$disconnect();
    await database?.drop();
    fs.rmSync(home, { recursive: true, force: true });
  });

  const post = (body: string, headers: Record<string, string>) =>
    fetch(`${app.url}/api/auth/sign-in/email`, { method: 'POST', headers, body, redirect: 'manual' });
  const json = (pw: string, extra: Record<string, string> = {}) =>
    post(JSON.stringify({ email, password: pw }), { 'content-type': 'application/json', origin: app.url, ...extra });
  const form = (pw: string, extra: Record<string, string> = {}) =>
    post(new URLSearchParams({ email, password: pw }).toString(), { 'content-type': 'application/x-www-form-urlencoded', ...extra });

  it('refuses credential posts without a trusted Origin or with a form body, before any password check', async () => {
    for (const res of [await form(password), await form(password, { origin: 'https://evil.example' })]) {
      expect(res.status).toBe(403);
      expect(res.headers.get('set-cookie')).toBeNull();
    }
    const sameOriginForm = await form(password, { origin: app.url });
    expect(sameOriginForm.status).toBe(415);
    expect(sameOriginForm.headers.get('set-cookie')).toBeNull();
    const curl = await post(JSON.stringify({ email, password }), { 'content-type': 'application/json' });
    expect(curl.status).toBe(403);
  });

  it('locks an email after 5 wrong passwords whatever the encoding of the next attempt', async () => {
    for (let i = 0; i < 5; i++) expect((await json('wrong password!')).status).toBe(401);
    const locked = await json(password);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(60);
    for (const res of [await form(password), await form(password, { origin: app.url }), await json(password, { 'content-type': 'application/x-www-form-urlencoded' })]) {
      expect(res.status).not.toBe(200);
      expect(res.headers.get('set-cookie')).toBeNull();
    }
    // A forged client-IP header does not buy a fresh count: server.ts sets it from the socket.
    expect((await json(password, { 'x-tripcast-client-ip': '203.0.113.9' })).status).toBe(429);
  });
});
