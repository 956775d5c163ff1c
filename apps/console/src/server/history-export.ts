// GET /api/history/export: the History page's CSV, for viewers and above.
import { ZodError } from 'zod';
import type { TDb } from '@tripcast/db/client';
import type { TAuth } from './auth/auth';
import type { TZoneTable } from './zones';
import { authorizeRequest } from './auth/request-guard';
import { parseHistorySearchParams, streamHistoryCsv } from './history-csv';

export function createHistoryExportHandler(deps: {
  getAuth: () => TAuth;
  getDb: () => TDb;
  /** The TLC zone table, for the zone-name columns (absent: IDs only). */
  getZoneTable?: () => Promise<TZoneTable | null>;
}) {
  return async function GET(req: Request): Promise<Response> {
    const { response } = await authorizeRequest(deps.getAuth(), req, 'viewer');
    if (response) return response;
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
    // A zone table that cannot be read costs the names, not the export.
    const zones = (await deps.getZoneTable?.().catch(() => null)) ?? null;
    const stamp = new Date().toISOString().replaceAll(':', '-').slice(0, 19);
    return new Response(streamHistoryCsv(deps.getDb(), filter, zones?.zones ?? null), {
      headers: {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="tripcast-history-${stamp}.csv"`,
        'cache-control': 'no-store',
      },
    });
  };
}
