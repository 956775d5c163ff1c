import type { ReactNode } from 'react';
import { cn } from '~/lib/cn';

const TONES = {
  neutral: 'bg-muted text-muted-foreground',
  info: 'bg-accent text-primary',
  success: 'bg-success/15 text-success',
  warning: 'bg-warning/20 text-[oklch(0.5_0.12_75)]',
  danger: 'bg-danger/15 text-danger',
} as const;

export type TBadgeTone = keyof typeof TONES;

export function Badge({
  tone = 'neutral',
  children,
  className,
}: {
  tone?: TBadgeTone;
  children: ReactNode;
  className?: string;
}) {
  return (
    <span
      className={cn(
        'inline-flex items-center rounded-full px-2 py-0.5 text-xs font-medium',
        TONES[tone],
        className,
      )}
    >
      {children}
    </span>
  );
}

const STATUS_TONE: Record<string, TBadgeTone> = {
  queued: 'neutral',
  running: 'info',
  succeeded: 'success',
  failed: 'danger',
  production: 'success',
  candidate: 'info',
  archived: 'neutral',
  online: 'info',
  stream: 'warning',
  batch: 'success',
  scored: 'success',
  rejected: 'danger',
};

export function StatusBadge({ status }: { status: string }) {
  return <Badge tone={STATUS_TONE[status] ?? 'neutral'}>{status}</Badge>;
}
