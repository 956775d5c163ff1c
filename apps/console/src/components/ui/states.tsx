import type { ReactNode } from 'react';
import { cn } from '~/lib/cn';

export function Skeleton({ className }: { className?: string }) {
  return <div aria-hidden className={cn('animate-pulse rounded-md bg-muted', className)} />;
}

export function LoadingRows({ rows = 4 }: { rows?: number }) {
  return (
    <div role="status" aria-label="Loading" className="space-y-2">
      {Array.from({ length: rows }, (_, i) => (
        <Skeleton key={i} className="h-7 w-full" />
      ))}
    </div>
  );
}

export function EmptyState({
  title,
  children,
  action,
}: {
  title: string;
  children?: ReactNode;
  action?: ReactNode;
}) {
  return (
    <div className="flex flex-col items-center rounded-lg border border-dashed border-border px-6 py-10 text-center">
      <h3 className="text-sm font-semibold">{title}</h3>
      {children && <div className="mt-2 max-w-lg text-sm text-muted-foreground">{children}</div>}
      {action && <div className="mt-4">{action}</div>}
    </div>
  );
}

export function ErrorState({
  error,
  onRetry,
}: {
  error: { message: string } | null;
  onRetry?: () => void;
}) {
  return (
    <div role="alert" className="rounded-lg border border-danger/30 bg-danger/5 px-4 py-3 text-sm">
      <div className="font-medium text-danger">Something went wrong</div>
      <div className="mt-1 text-foreground/80">{error?.message ?? 'Unknown error'}</div>
      {onRetry && (
        <button
          type="button"
          className="mt-2 text-xs font-medium text-primary underline"
          onClick={onRetry}
        >
          Try again
        </button>
      )}
    </div>
  );
}

export function Code({ children }: { children: ReactNode }) {
  return <code className="rounded bg-muted px-1.5 py-0.5 font-mono text-xs">{children}</code>;
}
