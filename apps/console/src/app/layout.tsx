import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import { SideNav } from '~/components/side-nav';
import { TRPCReactProvider } from '~/trpc/react';
import './globals.css';

export const metadata: Metadata = {
  title: { default: 'Tripcast console', template: '%s · Tripcast' },
  description: 'Trip-duration predictions served batch, online and streaming.',
};

export default function RootLayout({ children }: { children: ReactNode }) {
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
          <div className="flex min-h-screen">
            <SideNav />
            <main id="main" className="min-w-0 flex-1 px-8 py-6">
              <div className="mx-auto max-w-7xl">{children}</div>
            </main>
          </div>
        </TRPCReactProvider>
      </body>
    </html>
  );
}
