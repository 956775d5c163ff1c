/**
 * scripts/ensure-first-admin.ts as `npm start` and the AWS console task run it (a real process on a
 * real database; on AWS its password goes to Secrets Manager, served here by moto_server), and
 * ensureFirstAdmin itself under two first starts at once.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDbClient, type TDb } from '@tripcast/db/client';
import { createMigratedTestDatabase, type TTestDatabase } from '@tripcast/db/testing';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { MOTO_SERVER_PATH, startMotoServer, type TMotoServer } from '@tripcast/local-stack/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestAuth } from '../testing/context';
import { getSessionUser, type TAuth } from './auth';
import { ensureFirstAdmin, type TFirstAdminCredentials, type TPasswordSink } from './first-admin';
import { createSecretsManagerPasswordSink } from './secret-password-sink';

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

function runScript(options: { databaseUrl?: string; env?: Record<string, string> } = {}) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'scripts/ensure-first-admin.ts'], {
    cwd: CONSOLE_DIR,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'test',
      DATABASE_URL: options.databaseUrl ?? database.url,
      TRIPCAST_HOME: home,
      CONSOLE_PORT: '3123',
      ...options.env,
    },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('first admin', () => {
  it('creates an admin with a random password on an empty database, writes it once to a 0600 file, never to stdout/stderr', async () => {
    const first = runScript();
    expect(first.status, first.stderr).toBe(0);
    // npm start tees stdout and stderr into <TRIPCAST_HOME>/logs/console.log (0644), so the
    // password must not be printed there: they say where it is; the file holds it.
    const file = path.join(home, 'first-admin.txt');
    expect(first.stdout).toContain(`created the first admin admin@tripcast.local; its password is in ${file} (mode 0600`);
    const stored = await readFile(file, 'utf8');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(stored).toMatch(/sign in at\s+http:\/\/localhost:3123\/sign-in/);
    const password = /password\s+(\S+)/.exec(stored)?.[1];
    expect(password).toMatch(/^[A-Za-z0-9_-]{20}$/);
    expect(first.stdout + first.stderr).not.toContain(password);
    const users = await db.user.findMany({ select: { email: true, role: true } });
    expect(users).toEqual([{ email: 'admin@tripcast.local', role: 'admin' }]);

    // The stored password signs in (the script kept its secret in TRIPCAST_HOME; any secret works for sign-in).
    const auth = createTestAuth(db);
    const res = await auth.handler(
      new Request('http://127.0.0.1:3000/api/auth/sign-in/email', {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: 'http://127.0.0.1:3000' },
        body: JSON.stringify({ email: 'admin@tripcast.local', password }),
      }),
    );
    expect(res.status).toBe(200);
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
    expect(await getSessionUser(auth, new Headers({ cookie }))).toMatchObject({ role: 'admin' });

    const second = runScript();
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).not.toMatch(/password/);
    expect(await db.user.count()).toBe(1);
    expect(await readFile(file, 'utf8')).toBe(stored); // written once, not replaced by a later start
  }, 120_000); // two runs of the script, each a cold tsx start: slow on a loaded 2-core machine
});

/** Signs in with a password through the real better-auth handler; the HTTP status. */
async function signIn(auth: TAuth, email: string, password: string): Promise<number> {
  const res = await auth.handler(
    new Request('http://127.0.0.1:3000/api/auth/sign-in/email', {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://127.0.0.1:3000' },
      body: JSON.stringify({ email, password }),
    }),
  );
  return res.status;
}

describe('ensureFirstAdmin', () => {
  let own: TTestDatabase;
  let ownDb: TDb;
  beforeAll(async () => {
    own = await createMigratedTestDatabase();
    ownDb = createDbClient(own.url, { max: 4 });
  });
  afterAll(async () => {
    await ownDb?.$disconnect();
    await own?.drop();
  });

  // The sink here is the interface's plainest implementation (it keeps what it is given): the
  // point is what ensureFirstAdmin hands it and when; the Secrets Manager sink is tested below.
  function keepingSink(): TPasswordSink & { stored: TFirstAdminCredentials[] } {
    const stored: TFirstAdminCredentials[] = [];
    return {
      stored,
      store: (c) => {
        stored.push(c);
        return Promise.resolve();
      },
      describe: () => 'memory',
    };
  }

  it('creates no admin when storing the password fails, so the next start tries again', async () => {
    const auth = createTestAuth(ownDb);
    const failing: TPasswordSink = {
      store: () => Promise.reject(new Error('AccessDeniedException')),
      describe: () => 'nowhere',
    };
    const options = { email: 'admin@tripcast.local', actor: 'test', signInUrl: 'http://x/sign-in' };
    await expect(
      ensureFirstAdmin({ auth, db: ownDb }, { ...options, sink: failing }),
    ).rejects.toThrow(/AccessDenied/);
    expect(await ownDb.user.count()).toBe(0);
  });

  it('creates exactly one admin when two first starts race, and its stored password signs in', async () => {
    const auth = createTestAuth(ownDb);
    const sinks = [keepingSink(), keepingSink()];
    const results = await Promise.all(
      sinks.map((sink) =>
        ensureFirstAdmin(
          { auth, db: ownDb },
          { email: 'admin@tripcast.local', actor: 'test', signInUrl: 'http://x/sign-in', sink },
        ),
      ),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const stored = sinks.flatMap((sink) => sink.stored);
    expect(stored).toHaveLength(1);
    expect(await ownDb.user.findMany({ select: { email: true, role: true } })).toEqual([
      { email: 'admin@tripcast.local', role: 'admin' },
    ]);
    expect(await signIn(auth, 'admin@tripcast.local', stored[0]!.password)).toBe(200);
  });
});

describe.skipIf(!MOTO_SERVER_PATH)(
  'first admin on AWS: the password goes to Secrets Manager, never to the log',
  () => {
    let moto: TMotoServer;
    let own: TTestDatabase;
    let ownDb: TDb;
    beforeAll(async () => {
      [moto, own] = await Promise.all([startMotoServer(), createMigratedTestDatabase()]);
      ownDb = createDbClient(own.url, { max: 2 });
    }, 60_000);
    afterAll(async () => {
      moto?.stop();
      await ownDb?.$disconnect();
      await own?.drop();
    });

    it('stores {email, password, sign_in_url} in the secret Terraform created, and prints only where', async () => {
      const client = new SecretsManagerClient({
        endpoint: moto.endpoint,
        region: moto.env.AWS_REGION,
        credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      });
      // Terraform creates the secret without a value (infra/modules/console).
      const { ARN: arn } = await client.send(
        new CreateSecretCommand({ Name: 'tripcast-test-console-first-admin' }),
      );

      const run = runScript({
        databaseUrl: own.url,
        env: {
          ...moto.env,
          AWS_ENDPOINT_URL_SECRETS_MANAGER: moto.endpoint,
          FIRST_ADMIN_SECRET_ARN: arn!,
          CONSOLE_PUBLIC_URL: 'https://console.example.com',
          BETTER_AUTH_SECRET: 'b'.repeat(40), // as the console task gets it, from its own secret
        },
      });
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toContain(`its password is in Secrets Manager secret ${arn}`);

      const value = await client.send(new GetSecretValueCommand({ SecretId: arn }));
      const secret = JSON.parse(value.SecretString ?? '{}') as {
        email: string;
        password: string;
        sign_in_url: string;
      };
      expect(secret).toMatchObject({
        email: 'admin@tripcast.local',
        sign_in_url: 'https://console.example.com/sign-in',
      });
      expect(`${run.stdout}${run.stderr}`).not.toContain(secret.password);
      expect(await signIn(createTestAuth(ownDb), secret.email, secret.password)).toBe(200);

      // The next start (every console task runs it) leaves the admin and the secret alone.
      const again = runScript({
        databaseUrl: own.url,
        env: {
          ...moto.env,
          AWS_ENDPOINT_URL_SECRETS_MANAGER: moto.endpoint,
          FIRST_ADMIN_SECRET_ARN: arn!,
        },
      });
      expect(again.status, again.stderr).toBe(0);
      expect(again.stdout).toBe('');
      const after = await client.send(new GetSecretValueCommand({ SecretId: arn }));
      expect(after.VersionId).toBe(value.VersionId);
    }, 120_000);

    it('the sink alone writes a new version of the secret', async () => {
      const client = new SecretsManagerClient({
        endpoint: moto.endpoint,
        region: moto.env.AWS_REGION,
        credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      });
      const { ARN: arn } = await client.send(
        new CreateSecretCommand({ Name: 'tripcast-test-sink' }),
      );
      const sink = createSecretsManagerPasswordSink({ secretId: arn!, client });
      await sink.store({
        email: 'a@b.c',
        password: 'p'.repeat(20),
        signInUrl: 'https://x/sign-in',
      });
      const value = await client.send(new GetSecretValueCommand({ SecretId: arn }));
      expect(JSON.parse(value.SecretString ?? '')).toEqual({
        email: 'a@b.c',
        password: 'p'.repeat(20),
        sign_in_url: 'https://x/sign-in',
      });
      expect(sink.describe()).toBe(`Secrets Manager secret ${arn}`);
    });
  },
);
