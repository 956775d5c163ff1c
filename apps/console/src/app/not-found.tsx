import Link from 'next/link';
import { EmptyState } from '~/components/ui/states';

export default function NotFound() {
  return (
    <div data-testid="not-found">
      <EmptyState
        title="Page not found"
        action={
          <span className="flex gap-4 text-sm">
            <Link className="text-primary underline" href="/runs">
              All batch runs
            </Link>
            <Link className="text-primary underline" href="/">
              Back to the overview
            </Link>
          </span>
        }
      >
        There is nothing at this address: the link may be mistyped, or what it pointed to no longer
        exists.
      </EmptyState>
    </div>
  );
}
