import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { ZTaxiType } from '@tripcast/model';
import type { TDb } from '@tripcast/db/client';
import { findHistoryByRideId } from '@tripcast/db/queries/history';
import type { TPredictionHistoryRow } from '@tripcast/db/queries/history';
import { findBatchPredictionsByRideId, listRunPredictions } from '@tripcast/db/queries/predictions';
import type { TBatchPredictionRow } from '@tripcast/db/queries/predictions';
import { getBatchRun, listBatchRuns } from '@tripcast/db/queries/runs';
import type { TBatchRunDetail, TBatchRunListItem } from '@tripcast/db/queries/runs';
import { HttpError, SECURITY_HEADERS, sendJson } from './http-error';

/**
 * The read API: batch runs, their predictions (JSON lines, CSV or the run's Parquet) and the
 * predictions of one ride id across the three modes. Each handler parses its query with zod (400
 * naming the parameter), calls one query function of @tripcast/db, and shapes snake_case output
 * with the same column names as the SQL views (tripcast_api.*), so the SQL and HTTP interfaces
 * read alike. Guarded by the `read` scope in rest-api.ts.
 */

export const RUN_STATUSES = ['queued', 'running', 'succeeded', 'failed'] as const;
export const PREDICTION_FORMATS = ['jsonl', 'csv', 'parquet'] as const;
export const MAX_RUNS_PAGE = 200;
export const MAX_PREDICTIONS_PAGE = 50_000;
export const DEFAULT_PREDICTIONS_PAGE = 10_000;

const ZInt = (description: string) =>
  z
    .string()
    .regex(/^-?\d{1,10}$/, 'must be an integer')
    .transform(Number)
    .describe(description);

export const ZListRunsQuery = z.strictObject({
  taxi_type: ZTaxiType.optional().describe('Only runs of this taxi type'),
  month: z
    .string()
    .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month as YYYY-MM, e.g. 2021-01')
    .optional()
    .describe('Only runs that scored this month, YYYY-MM'),
  status: z.enum(RUN_STATUSES).optional().describe('Only runs in this status'),
  limit: ZInt(`Runs per page, 1..${MAX_RUNS_PAGE} (default 50)`)
    .pipe(z.number().int().min(1).max(MAX_RUNS_PAGE))
    .optional(),
  cursor: z.string().min(1).max(200).optional().describe('next_cursor of the previous page'),
});

export const ZRunPredictionsQuery = z.strictObject({
  format: z
    .enum(PREDICTION_FORMATS)
    .optional()
    .describe('jsonl (default), csv or parquet (the whole run file); overrides Accept'),
  after: ZInt('row_index of the last row of the previous page (X-Next-After); rows after it')
    .pipe(z.number().int().min(-1))
    .optional(),
  limit: ZInt(`Rows per page, 1..${MAX_PREDICTIONS_PAGE} (default ${DEFAULT_PREDICTIONS_PAGE}); not for parquet`)
    .pipe(z.number().int().min(1).max(MAX_PREDICTIONS_PAGE))
    .optional(),
});

export const ZRidePredictionsQuery = z.strictObject({
  ride_id: z.string().min(1).max(200).describe('The ride id: a batch id "YYYY/MM_<row>" or the ride_id an online/stream caller sent'),
  mode: z.enum(['batch', 'online', 'stream']).optional().describe('Only this mode'),
  limit: ZInt('Predictions per mode, 1..100 (default 20)').pipe(z.number().int().min(1).max(100)).optional(),
});

/** A run as the API shows it; same names as the view tripcast_api.batch_runs. */
export const ZRunResponse = z.object({
  run_id: z.string(),
  taxi_type: ZTaxiType,
  year: z.number().int(),
  month: z.number().int(),
  status: z.enum(RUN_STATUSES),
  trigger: z.string().describe('manual, schedule, backfill or cli'),
  model_name: z.string().nullable(),
  model_version: z.string().nullable(),
  rows_read: z.number().int(),
  rows_scored: z.number().int(),
  rows_rejected: z.number().int(),
  error: z.string().nullable().describe('Why a failed run failed'),
  created_at: z.string().describe('ISO 8601'),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
  predictions_url: z.string().describe('Where to read its predictions (succeeded runs)'),
});
export const ZRunDetailResponse = ZRunResponse.extend({
  input_uri: z.string(),
  output_uri: z.string().nullable().describe('The predictions Parquet (object store URI)'),
  rejects_uri: z.string().nullable(),
});
export const ZRunListResponse = z.object({
  runs: z.array(ZRunResponse).describe('Newest first'),
  next_cursor: z.string().nullable().describe('Pass as cursor for the next page; null on the last page'),
});
/** One line of the JSON-lines body (and one CSV row, same columns in this order). */
export const ZBatchPredictionLine = z.object({
  row_index: z.number().int().describe('Position in the input file, the paging key'),
  ride_id: z.string().describe('"YYYY/MM_<row_index>", as in the course'),
  pickup_datetime: z.string().describe('TLC wall-clock time, no time zone'),
  pu_location_id: z.number().int(),
  do_location_id: z.number().int(),
  actual_duration: z.number().nullable().describe('minutes'),
  predicted_duration: z.number().describe('minutes'),
  diff: z.number().nullable().describe('actual_duration - predicted_duration'),
  model_version: z.string().nullable(),
});
export const PREDICTION_CSV_COLUMNS = Object.keys(ZBatchPredictionLine.shape) as (keyof z.infer<typeof ZBatchPredictionLine>)[];
export const ZRidePrediction = z.object({
  mode: z.enum(['batch', 'online', 'stream']),
  ride_id: z.string(),
  status: z.enum(['scored', 'rejected']),
  predicted_duration: z.number().nullable().describe('minutes; null when rejected'),
  model_name: z.string().nullable(),
  model_version: z.string().nullable(),
  predicted_at: z.string().nullable().describe('When it was made (a batch row: when its run finished)'),
  pu_location_id: z.number().int().nullable(),
  do_location_id: z.number().int().nullable(),
  trip_distance: z.number().nullable().describe('miles: as sent (online, stream) or from the month\'s file (batch)'),
  reason: z.string().nullable().describe('Why a rejected input was rejected'),
  run_id: z.string().optional().describe('batch: the run'),
  row_index: z.number().int().optional(),
  pickup_datetime: z.string().optional(),
  actual_duration: z.number().nullable().optional(),
});
export const ZRidePredictionsResponse = z.object({
  ride_id: z.string(),
  predictions: z.array(ZRidePrediction).describe('Newest first'),
});

type TRun = z.infer<typeof ZRunResponse>;
type TPredictionLine = z.infer<typeof ZBatchPredictionLine>;
type TRidePrediction = z.infer<typeof ZRidePrediction>;

export type TOpenObject = (uri: string) => Promise<{ body: Readable; size?: number }>;

export type TReadApiDeps = {
  db: TDb;
  /** Opens a stored object (the run's Parquet) as a stream; throws ObjectNotFoundError-like errors. */
  openObject: TOpenObject;
};

export type TReadHandler = (req: IncomingMessage, res: ServerResponse, params: Record<string, string>) => Promise<void>;

function parseQuery<T extends z.ZodType>(schema: T, req: IncomingMessage): z.infer<T> {
  const search = new URL(req.url ?? '/', 'http://x').searchParams;
  const query: Record<string, string> = {};
  for (const [key, value] of search) query[key] = value;
  const parsed = schema.safeParse(query);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: key, message: 'unknown query parameter' }))
      : [{ path: issue.path.map(String).join('.') || '(query)', message: issue.message }],
  );
  throw new HttpError({
    status: 400,
    code: 'invalid_request',
    message: `Invalid query parameter${issues.length > 1 ? 's' : ''}: ${issues.map((issue) => issue.path).join(', ')}; see issues`,
    issues,
  });
}

const iso = (date: Date | null): string | null => (date ? date.toISOString() : null);
/** timestamp without time zone: Prisma reads it as UTC, so the UTC fields are the TLC wall clock. */
const wallClock = (date: Date): string => date.toISOString().slice(0, 19);
const minutes = (value: number | null): number | null => (value === null ? null : Math.round(value * 1e4) / 1e4);

function toRun(run: TBatchRunListItem): TRun {
  return {
    run_id: run.id,
    taxi_type: run.taxiType,
    year: run.year,
    month: run.month,
    status: run.status,
    trigger: run.trigger,
    model_name: run.modelName,
    model_version: run.modelVersion,
    rows_read: run.rowsRead,
    rows_scored: run.rowsScored,
    rows_rejected: run.rowsRejected,
    error: run.error,
    created_at: run.createdAt.toISOString(),
    started_at: iso(run.startedAt),
    finished_at: iso(run.finishedAt),
    predictions_url: `/api/v1/runs/${encodeURIComponent(run.id)}/predictions`,
  };
}

function toPredictionLine(row: TBatchPredictionRow, modelVersion: string | null): TPredictionLine {
  const actual = minutes(row.actualDuration);
  const predicted = minutes(row.predictedDuration)!;
  return {
    row_index: row.rowIndex,
    ride_id: row.rideId,
    pickup_datetime: wallClock(row.pickupDatetime),
    pu_location_id: row.puLocationId,
    do_location_id: row.doLocationId,
    actual_duration: actual,
    predicted_duration: predicted,
    diff: actual === null ? null : Math.round((actual - predicted) * 1e4) / 1e4,
    model_version: modelVersion,
  };
}

function csvField(value: string | number | null): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

const MEDIA_TYPES: Record<(typeof PREDICTION_FORMATS)[number], string[]> = {
  jsonl: ['application/x-ndjson', 'application/jsonl', 'application/json', 'application/*', '*/*'],
  csv: ['text/csv', 'text/*'],
  parquet: ['application/vnd.apache.parquet', 'application/x-parquet', 'application/octet-stream'],
};
export const CONTENT_TYPES = {
  jsonl: 'application/x-ndjson; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  parquet: 'application/vnd.apache.parquet',
} as const;

/** ?format= wins; else the first Accept media type we serve (q-values in listed order); else JSON lines. */
function chooseFormat(req: IncomingMessage, format: (typeof PREDICTION_FORMATS)[number] | undefined) {
  if (format) return format;
  const accept = req.headers.accept;
  if (!accept) return 'jsonl';
  const wanted = accept
    .split(',')
    .map((part) => {
      const [type, ...params] = part.trim().toLowerCase().split(';');
      const q = params.map((p) => /^\s*q=([\d.]+)/.exec(p)?.[1]).find(Boolean);
      return { type: type!.trim(), q: q === undefined ? 1 : Number(q) };
    })
    .filter((entry) => entry.q > 0)
    .sort((a, b) => b.q - a.q);
  for (const { type } of wanted) {
    for (const candidate of PREDICTION_FORMATS) if (MEDIA_TYPES[candidate].includes(type)) return candidate;
  }
  throw new HttpError({
    status: 406,
    code: 'not_acceptable',
    message: `Cannot answer with ${accept}: use application/x-ndjson, text/csv or application/vnd.apache.parquet (or ?format=jsonl|csv|parquet)`,
  });
}

function notFoundRun(id: string): HttpError {
  return new HttpError({ status: 404, code: 'not_found', message: `No batch run with id ${id}; GET /api/v1/runs lists them` });
}

export function createReadHandlers(deps: TReadApiDeps): {
  listRuns: TReadHandler;
  getRun: TReadHandler;
  listRunPredictions: TReadHandler;
  findRidePredictions: TReadHandler;
} {
  async function loadRun(id: string): Promise<TBatchRunDetail> {
    const run = await getBatchRun(deps.db, id);
    if (!run) throw notFoundRun(id);
    return run;
  }

  return {
    async listRuns(req, res) {
      const query = parseQuery(ZListRunsQuery, req);
      const [year, month] = query.month ? query.month.split('-').map(Number) : [undefined, undefined];
      const page = await listBatchRuns(deps.db, {
        limit: query.limit ?? 50,
        cursor: query.cursor ?? null,
        taxiType: query.taxi_type,
        status: query.status,
        year,
        month,
      }).catch((error: unknown) => {
        // Prisma's cursor on an id that does not exist (or no longer does) is a client error.
        if (query.cursor && (error as { code?: string }).code === 'P2025') {
          throw new HttpError({ status: 400, code: 'invalid_request', message: 'Unknown cursor', issues: [{ path: 'cursor', message: 'no run with this id' }] });
        }
        throw error;
      });
      sendJson(res, 200, { runs: page.items.map(toRun), next_cursor: page.nextCursor });
    },

    async getRun(req, res, params) {
      parseQuery(z.strictObject({}), req);
      const run = await loadRun(params.id!);
      sendJson(res, 200, {
        ...toRun(run),
        input_uri: run.inputUri,
        output_uri: run.outputUri,
        rejects_uri: run.rejectsUri,
      });
    },

    async listRunPredictions(req, res, params) {
      const query = parseQuery(ZRunPredictionsQuery, req);
      const format = chooseFormat(req, query.format);
      const run = await loadRun(params.id!);
      if (run.status !== 'succeeded') {
        throw new HttpError({
          status: 409,
          code: 'run_not_finished',
          message: `Run ${run.id} is ${run.status}: only a succeeded run has predictions to read`,
        });
      }
      const filename = `${run.id}.${format}`;
      if (format === 'parquet') {
        if (!run.outputUri) throw new HttpError({ status: 404, code: 'not_found', message: `Run ${run.id} has no Parquet output` });
        const object = await deps.openObject(run.outputUri).catch((error: unknown) => {
          if ((error as { name?: string }).name === 'ObjectNotFoundError') {
            throw new HttpError({ status: 404, code: 'not_found', message: `The Parquet of run ${run.id} is no longer in the object store` });
          }
          throw error;
        });
        res.writeHead(200, {
          'content-type': CONTENT_TYPES.parquet,
          'content-disposition': `attachment; filename="${filename}"`,
          'cache-control': 'no-store',
          ...(object.size === undefined ? {} : { 'content-length': String(object.size) }),
          ...SECURITY_HEADERS,
        });
        await pipeline(object.body, res);
        return;
      }

      const limit = query.limit ?? DEFAULT_PREDICTIONS_PAGE;
      const page = await listRunPredictions(deps.db, { runKey: run.key, limit, afterRowIndex: query.after ?? null });
      const lines = page.items.map((row) => toPredictionLine(row, run.modelVersion));
      const body =
        format === 'csv'
          ? [PREDICTION_CSV_COLUMNS.join(','), ...lines.map((line) => PREDICTION_CSV_COLUMNS.map((column) => csvField(line[column])).join(','))].join('\n') + '\n'
          : lines.map((line) => JSON.stringify(line)).join('\n') + (lines.length > 0 ? '\n' : '');
      const headers: Record<string, string> = {
        'content-type': CONTENT_TYPES[format],
        'content-length': String(Buffer.byteLength(body)),
        'cache-control': 'no-store',
        ...SECURITY_HEADERS,
      };
      if (page.nextCursor !== null) {
        // Keyset paging: the next page starts after this page's last row_index.
        headers['x-next-after'] = String(page.nextCursor);
        const next = new URLSearchParams({ after: String(page.nextCursor), limit: String(limit), format });
        headers.link = `</api/v1/runs/${encodeURIComponent(run.id)}/predictions?${next.toString()}>; rel="next"`;
      }
      res.writeHead(200, headers);
      res.end(req.method === 'HEAD' ? undefined : body);
    },

    async findRidePredictions(req, res) {
      const query = parseQuery(ZRidePredictionsQuery, req);
      const limit = query.limit ?? 20;
      const [batch, history] = await Promise.all([
        query.mode === undefined || query.mode === 'batch'
          ? findBatchPredictionsByRideId(deps.db, { rideId: query.ride_id, limit })
          : [],
        query.mode === 'batch'
          ? []
          : findHistoryByRideId(deps.db, { rideId: query.ride_id, limit, source: query.mode }),
      ]);
      const predictions: TRidePrediction[] = [
        ...batch.map(
          (row): TRidePrediction => ({
            mode: 'batch',
            ride_id: row.rideId,
            status: 'scored',
            predicted_duration: minutes(row.predictedDuration),
            model_name: row.run.modelName,
            model_version: row.run.modelVersion,
            predicted_at: iso(row.run.finishedAt),
            pu_location_id: row.puLocationId,
            do_location_id: row.doLocationId,
            trip_distance: row.tripDistance,
            reason: null,
            run_id: row.run.id,
            row_index: row.rowIndex,
            pickup_datetime: wallClock(row.pickupDatetime),
            actual_duration: minutes(row.actualDuration),
          }),
        ),
        ...history.map(
          (row: TPredictionHistoryRow): TRidePrediction => ({
            mode: row.source,
            ride_id: row.rideId ?? query.ride_id,
            status: row.status,
            predicted_duration: minutes(row.predictedDuration),
            model_name: row.modelName,
            model_version: row.modelVersion,
            predicted_at: iso(row.createdAt),
            pu_location_id: row.puLocationId,
            do_location_id: row.doLocationId,
            trip_distance: row.tripDistance,
            reason: row.reason,
          }),
        ),
      ].sort((a, b) => (b.predicted_at ?? '').localeCompare(a.predicted_at ?? ''));
      sendJson(res, 200, { ride_id: query.ride_id, predictions });
    },
  };
}
