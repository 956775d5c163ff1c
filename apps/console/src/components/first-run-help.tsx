'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { useHasRole } from './session';
import { Code, EmptyState } from './ui/states';

/**
 * What a fresh install shows instead of empty run tables: how to get the first predictions. It
 * knows the page it is on (no "open Batch runs" on Batch runs) and the reader's role (a viewer
 * cannot start a run or predict live).
 */
export function FirstRunHelp() {
  const isOnRunsPage = usePathname() === '/runs';
  const canRun = useHasRole('analyst');
  return (
    <EmptyState title="No batch runs yet">
      <p>
        A batch run scores a month of TLC trips and its predictions show here.{' '}
        {!canRun ? (
          'An analyst or an admin can start one on Batch runs.'
        ) : isOnRunsPage ? (
          <>
            Pick a taxi type and a month in the form above and press <strong>Start run</strong>.
          </>
        ) : (
          <>
            Open{' '}
            <Link className="font-medium text-primary underline" href="/runs">
              Batch runs
            </Link>
            , pick a taxi type and a month, and press <strong>Start run</strong>.
          </>
        )}{' '}
        With the local stack the demo month is already in the object store; to score your own
        file put it at <Code>trip-data/green_tripdata_2021-01.parquet</Code> under the object
        store, or run{' '}
        <Code>
          npm run scorer -w @tripcast/scorer -- run --taxi-type green --year 2021 --month 1
        </Code>
        .
      </p>
      {canRun && (
        <p className="mt-2">
          Meanwhile, try a{' '}
          <Link className="font-medium text-primary underline" href="/predict">
            live prediction
          </Link>
          .
        </p>
      )}
    </EmptyState>
  );
}
