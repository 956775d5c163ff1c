import type { HTMLAttributes, TdHTMLAttributes, ThHTMLAttributes } from 'react';
import { cn } from '~/lib/cn';

/**
 * A table in a horizontally scrolling wrapper: a last resort on a narrow window. Pages are laid out
 * so that their tables fit a 1280 px screen without it (the e2e run checks every `data-table-scroll`).
 */
export function Table({ className, ...props }: HTMLAttributes<HTMLTableElement>) {
  return (
    <div className="overflow-x-auto" data-table-scroll="">
      <table className={cn('w-full border-collapse text-sm', className)} {...props} />
    </div>
  );
}

export function Th({ className, ...props }: ThHTMLAttributes<HTMLTableCellElement>) {
  return (
    <th
      className={cn(
        'border-b border-border px-3 py-2 text-left text-xs font-medium whitespace-nowrap text-muted-foreground',
        className,
      )}
      {...props}
    />
  );
}

export function Td({ className, ...props }: TdHTMLAttributes<HTMLTableCellElement>) {
  return (
    <td
      className={cn('border-b border-border px-3 py-2 whitespace-nowrap tabular-nums', className)}
      {...props}
    />
  );
}
