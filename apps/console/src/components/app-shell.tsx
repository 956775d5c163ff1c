'use client';

import { usePathname, useRouter } from 'next/navigation';
import { useEffect, type ReactNode } from 'react';
import type { TSessionUser } from '~/server/auth/roles';
import { SessionProvider } from './session';
import { SideNav } from './side-nav';
import { AlertBanner } from './monitoring/alert-banner';

const SIGN_IN_PATH = '/sign-in';

/**
 * Signed in: the navigation and the page. Signed out: only the sign-in page; any other page sends
 * the browser there (and back after signing in). The data itself is protected on the server.
 */
export function AppShell({ user, children }: { user: TSessionUser | null; children: ReactNode }) {
  const pathname = usePathname();
  const router = useRouter();
  const isSignInPage = pathname === SIGN_IN_PATH;
  useEffect(() => {
    if (!user && !isSignInPage)
      router.replace(`${SIGN_IN_PATH}?next=${encodeURIComponent(pathname)}`);
  }, [user, isSignInPage, pathname, router]);

  if (!user || isSignInPage) {
    return (
      <SessionProvider user={user}>
        <main id="main" className="grid min-h-screen place-items-center px-6">
          {isSignInPage ? children : null}
        </main>
      </SessionProvider>
    );
  }
  return (
    <SessionProvider user={user}>
      <div className="flex min-h-screen">
        <SideNav user={user} />
        <main id="main" className="min-w-0 flex-1 px-8 py-6">
          <div className="mx-auto max-w-7xl">
            <AlertBanner />
            {children}
          </div>
        </main>
      </div>
    </SessionProvider>
  );
}
