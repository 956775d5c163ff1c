import type { Metadata } from 'next';
import { headers } from 'next/headers';
import type { ReactNode } from 'react';
import { AppShell } from '~/components/app-shell';
import { getAuth, getSessionUser } from '~/server/auth/auth';
import { TRPCReactProvider } from '~/trpc/react';
import './globals.css';

export const metadata: Metadata = {
  title: { default: 'Tripcast console', template: '%s · Tripcast' },
  description: 'Trip-duration predictions served batch, online and streaming.',
};

export const dynamic = 'force-dynamic';

export default async function RootLayout({ children }: { children: ReactNode }) {
  // Every page is per-user: read the session from the cookie on each request (headers() first:
  // it makes the page dynamic, so `next build` never reaches getAuth, which needs runtime config).
  const requestHeaders = await headers();
  const user = await getSessionUser(getAuth(), requestHeaders);
  return (
    <html lang="en">
      <body className="min-h-screen">
        <a
          href="#main"
          className="sr-only focus:not-sr-only focus:absolute focus:top-2 focus:left-2 focus:z-50 focus:rounded focus:bg-card focus:px-3 focus:py-2"
        >
          Skip to content
        </a>
        <TRPCReactProvider>
          <AppShell user={user}>{children}</AppShell>
        </TRPCReactProvider>
      </body>
    </html>
  );
}
