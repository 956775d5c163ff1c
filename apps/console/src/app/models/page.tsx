import type { Metadata } from 'next';
import { Suspense } from 'react';
import { ModelsView } from '~/components/models/models-view';
import { LoadingRows } from '~/components/ui/states';

export const metadata: Metadata = { title: 'Models' };

export default function ModelsPage() {
  // The view reads a comparison link from the URL (useSearchParams), which needs a Suspense boundary.
  return (
    <Suspense fallback={<LoadingRows rows={6} />}>
      <ModelsView />
    </Suspense>
  );
}
