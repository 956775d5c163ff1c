import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDbClient } from '../client';
import type { TDb } from '../client';
import { createMigratedTestDatabase } from '../testing';
import type { TTestDatabase } from '../testing';
import { countUsers, listUsers } from './users';

let database: TTestDatabase;
let db: TDb;

beforeAll(async () => {
  database = await createMigratedTestDatabase();
  db = createDbClient(database.url);
});
afterAll(async () => {
  await db.$disconnect();
  await database.drop();
});

describe('users', () => {
  it('counts and lists users oldest first with their role (viewer by default), never a password', async () => {
    expect(await countUsers(db)).toBe(0);
    await db.user.create({
      data: {
        id: 'u1',
        name: 'Ada',
        email: 'ada@example.com',
        role: 'admin',
        createdAt: new Date('2026-01-01T00:00:00Z'),
      },
    });
    await db.user.create({
      data: { id: 'u2', name: 'Grace', email: 'grace@example.com', createdBy: 'ada@example.com' },
    });
    await db.account.create({
      data: { id: 'a1', accountId: 'u2', providerId: 'credential', userId: 'u2', password: 'hash' },
    });
    expect(await countUsers(db)).toBe(2);
    const users = await listUsers(db);
    expect(users.map((u) => [u.email, u.role, u.createdBy])).toEqual([
      ['ada@example.com', 'admin', null],
      ['grace@example.com', 'viewer', 'ada@example.com'],
    ]);
    expect(JSON.stringify(users)).not.toContain('hash');
  });
});
