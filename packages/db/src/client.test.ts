import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDbClient, createPgPool, getDb } from './client';
import { DatabaseConnectionError } from './connection-errors';
import { createMigratedTestDatabase } from './testing';
import type { TTestDatabase } from './testing';

let database: TTestDatabase;
const originalUrl = process.env.DATABASE_URL;

beforeAll(async () => {
  database = await createMigratedTestDatabase();
});
afterAll(async () => {
  await getDb().$disconnect();
  if (originalUrl === undefined) delete process.env.DATABASE_URL;
  else process.env.DATABASE_URL = originalUrl;
  await database.drop();
});

describe('client', () => {
  it('getDb() is one client per process, on the validated DATABASE_URL', async () => {
    process.env.DATABASE_URL = database.url;
    const db = getDb();
    expect(getDb()).toBe(db);
    const rows = await db.$queryRaw<{ name: string }[]>`SELECT current_database() AS name`;
    expect(rows[0]?.name).toBe(database.name);
  });

  it('createPgPool and createDbClient refuse a URL that is not Postgres with one clear line', () => {
    expect(() => createPgPool('mysql://localhost/db')).toThrow(DatabaseConnectionError);
    expect(() => createDbClient('not a url')).toThrow(/DATABASE_URL is not a valid URL/);
  });

  it('createPgPool gives a working pool', async () => {
    const pool = createPgPool(database.url, { max: 1, applicationName: 'tripcast-test' });
    try {
      const { rows } = await pool.query<{ app: string }>(
        "SELECT current_setting('application_name') AS app",
      );
      expect(rows[0]?.app).toBe('tripcast-test');
    } finally {
      await pool.end();
    }
  });
});
