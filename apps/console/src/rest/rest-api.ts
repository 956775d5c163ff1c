import type { IncomingMessage, ServerResponse } from 'node:http';
import { checkHealth } from './health';
import type { TApiKeyGuard } from './api-key-guard';
import type { THealthDeps } from './health';
import { HttpError, sendError, sendJson } from './http-error';
import type { THistoryWriter } from './history-writer';
import { buildOpenApiDocument } from './openapi';
import { createPredictHandler } from './predict';
import { createReadHandlers } from './read-api';
import type { TReadApiDeps, TReadHandler } from './read-api';
import { DEFAULT_MAX_BODY_BYTES } from './read-json-body';
import type { TRideScorer } from './ride-scorer';
import type { TModelRouting } from './challengers';

export type TRestApiDeps = {
  score: TRideScorer;
  /** Challengers, a requested version, a canary share (src/rest/challengers.ts). */
  routing?: TModelRouting;
  history: THistoryWriter;
  /** Who may predict, and how often (API keys, rate limit); checked before the body is read. */
  guard: TApiKeyGuard;
  health: Omit<THealthDeps, 'getHistoryStats'>;
  /** The read API (runs, predictions): the database and the object store holding run Parquet files. */
  read: TReadApiDeps;
  modelName: string;
  maxBodyBytes?: number;
  /** Where unexpected errors go (with their stack); the client only ever sees `internal_error`. */
  logError?: (message: string, error: unknown) => void;
};

export type TRestApi = {
  /** Paths this layer answers; every other request goes to Next. */
  isApiPath(pathname: string): boolean;
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
};

type THandler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;
type TRoute = Partial<Record<'GET' | 'POST', THandler>>;

export function createRestApi(deps: TRestApiDeps): TRestApi {
  const logError = deps.logError ?? ((message, error) => console.error(message, error));
  const predict = createPredictHandler({
    score: deps.score,
    history: deps.history,
    routing: deps.routing,
    maxBodyBytes: deps.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
  });
  // Built once: the document depends on the schemas only.
  const openApiDocument = buildOpenApiDocument({ modelName: deps.modelName });

  const read = createReadHandlers(deps.read);
  /** A read endpoint: needs a key with the `read` scope, rate-limited like predict (same bucket). */
  const readRoute =
    (handler: TReadHandler): THandler =>
    async (req, res) => {
      await deps.guard.authorize(req, 'read');
      await handler(req, res, paramsOf.get(req) ?? {});
    };
  // Path parameters of the request being handled, set by findHandler for the patterned routes.
  const paramsOf = new WeakMap<IncomingMessage, Record<string, string>>();

  const routes: Record<string, TRoute> = {
    '/api/v1/predict': {
      POST: async (req, res) => {
        await deps.guard.authorize(req);
        await predict(req, res);
      },
    },
    '/api/v1/runs': { GET: readRoute(read.listRuns) },
    '/api/v1/predictions': { GET: readRoute(read.findRidePredictions) },
    '/api/v1/openapi.json': { GET: (_req, res) => sendJson(res, 200, openApiDocument) },
    '/api/health': {
      GET: async (_req, res) => {
        const report = await checkHealth({
          ...deps.health,
          getHistoryStats: () => deps.history.stats(),
          getChallengerStatus: () => deps.routing?.challengerStatus() ?? [],
        });
        sendJson(res, report.status === 'down' ? 503 : 200, report);
      },
    },
  };

  /** Routes with a path parameter; `{id}` is one path segment (run ids never contain a slash). */
  const patternRoutes: { pattern: RegExp; names: string[]; route: TRoute }[] = [
    { pattern: /^\/api\/v1\/runs\/([^/]+)$/, names: ['id'], route: { GET: readRoute(read.getRun) } },
    { pattern: /^\/api\/v1\/runs\/([^/]+)\/predictions$/, names: ['id'], route: { GET: readRoute(read.listRunPredictions) } },
  ];

  function matchRoute(req: IncomingMessage, pathname: string): TRoute | undefined {
    const exact = routes[pathname];
    if (exact) return exact;
    for (const { pattern, names, route } of patternRoutes) {
      const match = pattern.exec(pathname);
      if (!match) continue;
      let params: Record<string, string>;
      try {
        params = Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(match[i + 1]!)]));
      } catch {
        throw new HttpError({ status: 400, code: 'invalid_request', message: 'Malformed percent-encoding in the path' });
      }
      paramsOf.set(req, params);
      return route;
    }
    return undefined;
  }

  function findHandler(req: IncomingMessage, pathname: string): THandler {
    const route = matchRoute(req, pathname);
    if (!route) {
      throw new HttpError({ status: 404, code: 'not_found', message: `No API endpoint at ${pathname}; see /api/v1/openapi.json` });
    }
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    const handler = route[method as keyof TRoute];
    if (!handler) {
      const allowed = Object.keys(route).flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m]));
      throw new HttpError({
        status: 405,
        code: 'method_not_allowed',
        message: `${req.method} is not allowed on ${pathname}; use ${allowed.join(', ')}`,
        headers: { allow: allowed.join(', ') },
      });
    }
    return handler;
  }

  return {
    isApiPath(pathname) {
      return pathname.startsWith('/api/v1/') || pathname === '/api/v1' || pathname === '/api/health';
    },

    async handle(req, res) {
      const url = req.url ?? '/';
      const queryAt = url.indexOf('?');
      const pathname = queryAt === -1 ? url : url.slice(0, queryAt);
      try {
        await findHandler(req, pathname)(req, res);
      } catch (error) {
        if (res.headersSent) {
          logError(`${req.method} ${pathname} failed after the response started`, error);
          res.destroy();
          return;
        }
        if (error instanceof HttpError) {
          sendError(res, error);
          return;
        }
        logError(`${req.method} ${pathname} failed`, error);
        sendError(res, new HttpError({ status: 500, code: 'internal_error', message: 'Internal error; it was logged' }));
      }
    },
  };
}
