import type { Metadata } from 'next';
import { Suspense } from 'react';
import { HistoryView } from '~/components/history/history-view';
import { LoadingRows } from '~/components/ui/states';

export const metadata: Metadata = { title: 'History' };

export default function HistoryPage() {
  // The view reads its filters from the URL (useSearchParams), which needs a Suspense boundary.
  return (
    <Suspense fallback={<LoadingRows rows={10} />}>
      <HistoryView />
    </Suspense>
  );
}
