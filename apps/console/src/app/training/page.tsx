import type { Metadata } from 'next';
import { Suspense } from 'react';
import { TrainingView } from '~/components/training/training-view';
import { LoadingRows } from '~/components/ui/states';

export const metadata: Metadata = { title: 'Training' };

export default function TrainingPage() {
  // The view keeps the selected job in the URL (useSearchParams), which needs a Suspense boundary.
  return (
    <Suspense fallback={<LoadingRows rows={6} />}>
      <TrainingView />
    </Suspense>
  );
}
