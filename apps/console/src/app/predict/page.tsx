import type { Metadata } from 'next';
import { RequireRole } from '~/components/session';
import { PredictView } from '~/components/predict/predict-view';

export const metadata: Metadata = { title: 'Live prediction' };

export default function PredictPage() {
  return (
    <RequireRole minimum="analyst">
      <PredictView />
    </RequireRole>
  );
}
