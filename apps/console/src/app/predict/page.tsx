import type { Metadata } from 'next';
import { PredictView } from '~/components/predict/predict-view';

export const metadata: Metadata = { title: 'Live prediction' };

export default function PredictPage() {
  return <PredictView />;
}
