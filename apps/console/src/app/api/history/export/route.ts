import { getAuth } from '~/server/auth/auth';
import { getConsoleDb } from '~/server/db';
import { createHistoryExportHandler } from '~/server/history-export';
import { getZoneTable } from '~/server/zones';

export const dynamic = 'force-dynamic';

export const GET = createHistoryExportHandler({ getAuth, getDb: getConsoleDb, getZoneTable });
