import { ZodError } from 'zod';
import { getConsoleDb } from '~/server/db';
import { parseHistorySearchParams, streamHistoryCsv } from '~/server/history-csv';

export const dynamic = 'force-dynamic';

export function GET(req: Request) {
  let filter;
  try {
    filter = parseHistorySearchParams(new URL(req.url).searchParams);
  } catch (error) {
    const issues =
      error instanceof ZodError
        ? error.issues.map((i) => ({ field: i.path.join('.'), message: i.message }))
        : [];
    return Response.json({ error: 'invalid filter', issues }, { status: 400 });
  }
  const stamp = new Date().toISOString().replaceAll(':', '-').slice(0, 19);
  return new Response(streamHistoryCsv(getConsoleDb(), filter), {
    headers: {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="tripcast-history-${stamp}.csv"`,
      'cache-control': 'no-store',
    },
  });
}
