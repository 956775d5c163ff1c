import Link from 'next/link';
import { EmptyState } from '~/components/ui/states';

export default function NotFound() {
  return (
    <EmptyState
      title="Page not found"
      action={
        <Link className="text-sm text-primary underline" href="/">
          Back to the overview
        </Link>
      }
    >
      There is nothing at this address.
    </EmptyState>
  );
}
