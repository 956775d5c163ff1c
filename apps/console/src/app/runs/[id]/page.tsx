import type { Metadata } from 'next';
import { RunDetailView } from '~/components/runs/run-detail-view';

export const metadata: Metadata = { title: 'Batch run' };

export default async function RunDetailPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <RunDetailView id={id} />;
}
