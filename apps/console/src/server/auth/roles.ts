// Roles, lowest first: each role may do everything the roles before it may (browser-safe).
export const ROLES = ['viewer', 'analyst', 'admin'] as const;
export type TRole = (typeof ROLES)[number];

export const ROLE_DESCRIPTIONS: Record<TRole, string> = {
  viewer: 'overview, runs, history and models, read-only',
  analyst: 'viewer + trigger runs and backfills, live prediction',
  admin: 'analyst + promote and register models, users, API keys, audit log',
};

export function isRole(value: unknown): value is TRole {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** True when `role` is `minimum` or above it. Unknown roles have no rights. */
export function hasRole(role: unknown, minimum: TRole): boolean {
  return isRole(role) && ROLES.indexOf(role) >= ROLES.indexOf(minimum);
}

/** The signed-in user as the console sees it. */
export type TSessionUser = { id: string; email: string; name: string; role: TRole };
