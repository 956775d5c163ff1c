'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { cn } from '~/lib/cn';

const LINKS = [
  { href: '/', label: 'Overview', icon: '◎' },
  { href: '/runs', label: 'Batch runs', icon: '▤' },
  { href: '/predict', label: 'Live prediction', icon: '➜' },
  { href: '/history', label: 'History', icon: '☰' },
  { href: '/models', label: 'Models', icon: '◆' },
  { href: '/api-keys', label: 'API keys', icon: '⚿' },
] as const;

export function SideNav() {
  const pathname = usePathname();
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
          {LINKS.map((link) => {
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
        <p className="mt-auto px-2 text-xs leading-relaxed text-muted-foreground">
          One trip-duration model, served batch, online and streaming.
        </p>
      </nav>
    </div>
  );
}
