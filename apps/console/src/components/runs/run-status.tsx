import { StatusBadge } from '~/components/ui/badge';
import { Progress } from '~/components/ui/progress';
import { formatPercent } from '~/lib/format';

export function RunProgress({ status, progress }: { status: string; progress: number }) {
  const value = status === 'succeeded' ? 1 : progress;
  return (
    <div className="flex min-w-40 items-center gap-2">
      <Progress
        value={value}
        tone={status === 'failed' ? 'danger' : status === 'succeeded' ? 'success' : 'primary'}
        label="Run progress"
      />
      <span className="w-10 text-right text-xs text-muted-foreground tabular-nums">
        {formatPercent(value)}
      </span>
    </div>
  );
}

export { StatusBadge };

export const isActiveStatus = (s: string) => s === 'queued' || s === 'running';
