import Link from 'next/link';
import { Code, EmptyState } from './ui/states';

/** What a fresh install shows instead of empty tables: how to get the first predictions. */
export function FirstRunHelp() {
  return (
    <EmptyState title="No batch runs yet">
      <p>
        Score a month of TLC trips to see predictions here. Open{' '}
        <Link className="font-medium text-primary underline" href="/runs">
          Batch runs
        </Link>
        , pick a taxi type and a month, and press <strong>Start run</strong>. With the local stack
        the demo month is already in the object store; to score your own file put it at{' '}
        <Code>trip-data/green_tripdata_2021-01.parquet</Code> under the object store, or run{' '}
        <Code>
          npm run scorer -w @tripcast/scorer -- run --taxi-type green --year 2021 --month 1
        </Code>
        .
      </p>
      <p className="mt-2">
        Meanwhile, try a{' '}
        <Link className="font-medium text-primary underline" href="/predict">
          live prediction
        </Link>
        .
      </p>
    </EmptyState>
  );
}
