'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { useState } from 'react';
import { authClient } from '~/lib/auth-client';
import { cn } from '~/lib/cn';
import { hasRole, type TRole, type TSessionUser } from '~/server/auth/roles';

/** Each page with the lowest role that may use it: the navigation shows only what the user can do. */
const LINKS: { href: string; label: string; icon: string; minimum: TRole }[] = [
  { href: '/', label: 'Overview', icon: '◎', minimum: 'viewer' },
  { href: '/runs', label: 'Batch runs', icon: '▤', minimum: 'viewer' },
  { href: '/predict', label: 'Live prediction', icon: '➜', minimum: 'analyst' },
  { href: '/history', label: 'History', icon: '☰', minimum: 'viewer' },
  { href: '/models', label: 'Models', icon: '◆', minimum: 'viewer' },
  { href: '/monitoring', label: 'Monitoring', icon: '∿', minimum: 'viewer' },
  { href: '/training', label: 'Training', icon: '⚙', minimum: 'analyst' },
  { href: '/api-keys', label: 'API keys', icon: '#', minimum: 'admin' },
  { href: '/users', label: 'Users', icon: '☺', minimum: 'admin' },
  { href: '/audit', label: 'Audit log', icon: '✎', minimum: 'admin' },
];

export function SideNav({ user }: { user: TSessionUser }) {
  const pathname = usePathname();
  const [isSigningOut, setIsSigningOut] = useState(false);
  const signOut = async () => {
    setIsSigningOut(true);
    await authClient.signOut();
    window.location.assign('/sign-in');
  };
  return (
    <div className="w-56 shrink-0 border-r border-border bg-card">
      <nav aria-label="Main" className="sticky top-0 flex h-screen flex-col px-3 py-5">
        <Link href="/" className="mb-6 flex items-center gap-2 px-2">
          <span className="grid size-7 place-items-center rounded-md bg-primary text-sm font-bold text-primary-foreground">
            T
          </span>
          <span className="font-semibold tracking-tight">Tripcast</span>
        </Link>
        <ul className="space-y-0.5">
          {LINKS.filter((link) => hasRole(user.role, link.minimum)).map((link) => {
            const isActive = link.href === '/' ? pathname === '/' : pathname.startsWith(link.href);
            return (
              <li key={link.href}>
                <Link
                  href={link.href}
                  aria-current={isActive ? 'page' : undefined}
                  className={cn(
                    'flex items-center gap-2.5 rounded-md px-2 py-1.5 text-sm',
                    isActive
                      ? 'bg-accent font-medium text-primary'
                      : 'text-foreground/80 hover:bg-muted',
                  )}
                >
                  <span aria-hidden className="w-4 text-center text-xs">
                    {link.icon}
                  </span>
                  {link.label}
                </Link>
              </li>
            );
          })}
        </ul>
        <div className="mt-auto space-y-1 px-2 text-xs" data-testid="signed-in-user">
          <div className="truncate font-medium" title={user.email}>
            {user.email}
          </div>
          <div className="text-muted-foreground">
            role: <span data-testid="signed-in-role">{user.role}</span>
          </div>
          <Link href="/account" className="block font-medium text-primary underline">
            Change password
          </Link>
          <button
            type="button"
            className="font-medium text-primary underline disabled:opacity-50"
            onClick={() => void signOut()}
            disabled={isSigningOut}
          >
            Sign out
          </button>
        </div>
      </nav>
    </div>
  );
}
