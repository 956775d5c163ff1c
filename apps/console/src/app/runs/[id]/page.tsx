import type { Metadata } from 'next';
import { headers } from 'next/headers';
import { notFound } from 'next/navigation';
import { getBatchRun } from '@tripcast/db/queries/runs';
import { RunDetailView } from '~/components/runs/run-detail-view';
import { getAuth, getSessionUser } from '~/server/auth/auth';
import { getConsoleDb } from '~/server/db';

export const metadata: Metadata = { title: 'Batch run' };

export default async function RunDetailPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  // An unknown id is a 404 page, not an error. Only for a signed-in user: a visitor is sent to
  // the sign-in page by the shell and learns nothing about which runs exist.
  const user = await getSessionUser(getAuth(), await headers());
  if (user && !(await getBatchRun(getConsoleDb(), id))) notFound();
  return <RunDetailView id={id} />;
}
