'use client';

import { useEffect, useState } from 'react';
import { Button } from './button';

/**
 * Copies `value` to the clipboard. The Clipboard API needs a secure context (https, localhost,
 * 127.0.0.1); on plain http to another host the older execCommand path still works.
 */
async function copyText(value: string): Promise<boolean> {
  try {
    if (window.isSecureContext && navigator.clipboard) {
      await navigator.clipboard.writeText(value);
      return true;
    }
  } catch {
    // fall through to the older path (a permission prompt refused, an old browser)
  }
  const area = document.createElement('textarea');
  area.value = value;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.append(area);
  area.select();
  const isCopied = document.execCommand('copy');
  area.remove();
  return isCopied;
}

export function CopyButton({ value, label = 'Copy' }: { value: string; label?: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (state === 'idle') return;
    const timer = setTimeout(() => setState('idle'), 2_000);
    return () => clearTimeout(timer);
  }, [state]);
  return (
    <Button
      variant="secondary"
      size="sm"
      aria-live="polite"
      onClick={() => void copyText(value).then((ok) => setState(ok ? 'copied' : 'failed'))}
    >
      {state === 'copied' ? 'Copied' : state === 'failed' ? 'Select and copy it' : label}
    </Button>
  );
}

/** A secret shown once (a new API key, a generated password): the value and a copy button. */
export function OnceSecret({ value, testId }: { value: string; testId: string }) {
  return (
    <div className="mt-2 flex items-center gap-2">
      <code
        className="min-w-0 flex-1 rounded border border-border bg-card px-2 py-1.5 font-mono text-xs break-all"
        data-testid={testId}
      >
        {value}
      </code>
      <CopyButton value={value} />
    </div>
  );
}
