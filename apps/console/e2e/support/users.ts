// The e2e's users, one per role, created the way the Users page creates them, and a sign-in helper.
import type { Page } from 'playwright-core';
import type { TDb } from '@tripcast/db/client';
import { createAuth } from '../../src/server/auth/auth';
import type { TRole } from '../../src/server/auth/roles';
import { createConsoleUser } from '../../src/server/auth/users';

export type TE2eUser = { email: string; password: string; role: TRole };

export const E2E_USERS: Record<TRole, TE2eUser> = {
  viewer: { email: 'viewer@e2e.test', password: 'viewer-password-e2e', role: 'viewer' },
  analyst: { email: 'analyst@e2e.test', password: 'analyst-password-e2e', role: 'analyst' },
  admin: { email: 'admin@e2e.test', password: 'admin-password-e2e', role: 'admin' },
};

export async function createE2eUsers(db: TDb): Promise<void> {
  // Only hashing and writing users: the secret (which signs cookies) is not involved here.
  const auth = createAuth({
    db,
    secret: 'e2e-user-setup-secret-0123456789abcdef',
    baseURL: 'http://localhost',
    trustedOrigins: [],
  });
  for (const user of Object.values(E2E_USERS)) {
    await createConsoleUser({ auth, db }, { ...user, name: `E2E ${user.role}`, actor: 'e2e' });
  }
}

export async function signIn(page: Page, user: TE2eUser): Promise<void> {
  await page.goto('/sign-in');
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByTestId('signed-in-role').filter({ hasText: user.role }).waitFor();
}
