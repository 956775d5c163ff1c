/** scripts/ensure-first-admin.ts as `npm start` runs it: a real process on a real database. */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDbClient, type TDb } from '@tripcast/db/client';
import { createMigratedTestDatabase, type TTestDatabase } from '@tripcast/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestAuth } from '../testing/context';
import { getSessionUser } from './auth';

const CONSOLE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

let database: TTestDatabase;
let db: TDb;
let home: string;

beforeAll(async () => {
  database = await createMigratedTestDatabase();
  db = createDbClient(database.url, { max: 2 });
  home = await mkdtemp(path.join(tmpdir(), 'tripcast-first-admin-'));
});
afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
  if (home) await rm(home, { recursive: true, force: true });
});

function runScript() {
  return spawnSync(process.execPath, ['--import', 'tsx', 'scripts/ensure-first-admin.ts'], {
    cwd: CONSOLE_DIR,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'test', DATABASE_URL: database.url, TRIPCAST_HOME: home, CONSOLE_PORT: '3123' },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('first admin', () => {
  it('creates an admin with a random password on an empty database, prints it once, and never again', async () => {
    const first = runScript();
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/sign in at\s+http:\/\/localhost:3123\/sign-in/);
    const password = /password\s+(\S+)/.exec(first.stdout)?.[1];
    expect(password).toMatch(/^[A-Za-z0-9_-]{20}$/);
    const users = await db.user.findMany({ select: { email: true, role: true } });
    expect(users).toEqual([{ email: 'admin@tripcast.local', role: 'admin' }]);

    // The printed password signs in (the script kept its secret in TRIPCAST_HOME; any secret works for sign-in).
    const auth = createTestAuth(db);
    const res = await auth.handler(new Request('http://127.0.0.1:3000/api/auth/sign-in/email', {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://127.0.0.1:3000' },
      body: JSON.stringify({ email: 'admin@tripcast.local', password }),
    }));
    expect(res.status).toBe(200);
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
    expect(await getSessionUser(auth, new Headers({ cookie }))).toMatchObject({ role: 'admin' });

    const second = runScript();
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).not.toMatch(/password/);
    expect(await db.user.count()).toBe(1);
  });
});
