'use client';

import { createContext, useContext, type ReactNode } from 'react';
import { hasRole, type TRole, type TSessionUser } from '~/server/auth/roles';

const SessionContext = createContext<TSessionUser | null>(null);

/** The signed-in user, read once per page load by the root layout (server side, from the cookie). */
export function SessionProvider({ user, children }: { user: TSessionUser | null; children: ReactNode }) {
  return <SessionContext.Provider value={user}>{children}</SessionContext.Provider>;
}

export function useSessionUser(): TSessionUser | null {
  return useContext(SessionContext);
}

/** True when the signed-in user has `minimum` or a higher role. The server enforces it regardless. */
export function useHasRole(minimum: TRole): boolean {
  return hasRole(useSessionUser()?.role, minimum);
}

/** Shows `children` only to `minimum` and above; others see what role the page needs. */
export function RequireRole({ minimum, children }: { minimum: TRole; children: ReactNode }) {
  const isAllowed = useHasRole(minimum);
  if (isAllowed) return <>{children}</>;
  return (
    <div role="alert" className="rounded-lg border border-border bg-card px-6 py-10 text-center text-sm">
      <h1 className="text-lg font-semibold">This page needs the {minimum} role</h1>
      <p className="mt-2 text-muted-foreground">Ask an admin to change your role on the Users page.</p>
    </div>
  );
}
