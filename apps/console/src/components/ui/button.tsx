import type { ButtonHTMLAttributes } from 'react';
import { cn } from '~/lib/cn';

const VARIANTS = {
  primary: 'bg-primary text-primary-foreground hover:bg-primary/90',
  secondary: 'bg-card text-foreground border border-border hover:bg-muted',
  danger: 'bg-danger text-white hover:bg-danger/90',
  ghost: 'text-foreground hover:bg-muted',
} as const;

const SIZES = { sm: 'h-8 px-3 text-xs', md: 'h-9 px-4 text-sm' } as const;

export type TButtonProps = ButtonHTMLAttributes<HTMLButtonElement> & {
  variant?: keyof typeof VARIANTS;
  size?: keyof typeof SIZES;
  isLoading?: boolean;
};

export function Button({
  variant = 'primary',
  size = 'md',
  isLoading,
  className,
  children,
  disabled,
  ...props
}: TButtonProps) {
  return (
    <button
      type="button"
      {...props}
      disabled={disabled ?? isLoading}
      aria-busy={isLoading || undefined}
      className={cn(
        'inline-flex items-center justify-center gap-2 rounded-md font-medium whitespace-nowrap transition-colors disabled:pointer-events-none disabled:opacity-50',
        VARIANTS[variant],
        SIZES[size],
        className,
      )}
    >
      {isLoading && (
        <span className="size-3 animate-spin rounded-full border-2 border-current border-t-transparent" />
      )}
      {children}
    </button>
  );
}
