import http from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { HttpError, sendError } from './http-error';
import type { TRestApi } from './rest-api';

export type TRequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * One `node:http` server for the whole console: `/api/v1/*` and `/api/health` are answered here
 * without touching Next; everything else (pages, tRPC, assets) goes to `fallback`, which is Next's
 * request handler in production. Tests pass no fallback and get a JSON 404 for non-API paths.
 */
export function createConsoleHttpServer(options: {
  api: TRestApi;
  fallback?: TRequestHandler;
  logError?: (message: string, error: unknown) => void;
}): Server {
  const { api, fallback } = options;
  const logError = options.logError ?? ((message, error) => console.error(message, error));
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    const queryAt = url.indexOf('?');
    const pathname = queryAt === -1 ? url : url.slice(0, queryAt);
    if (api.isApiPath(pathname)) {
      void api.handle(req, res);
      return;
    }
    if (!fallback) {
      sendError(res, new HttpError({ status: 404, code: 'not_found', message: `No API endpoint at ${pathname}` }));
      return;
    }
    // The client's address for per-IP limits (sign-in throttle, better-auth), set from the socket
    // so a client cannot choose it. Behind a load balancer this is the balancer's address.
    req.headers['x-tripcast-client-ip'] = req.socket.remoteAddress ?? '';
    fallback(req, res).catch((error: unknown) => {
      logError(`${req.method} ${pathname} failed in Next`, error);
      if (!res.headersSent) sendError(res, new HttpError({ status: 500, code: 'internal_error', message: 'Internal error' }));
      else res.destroy();
    });
  });
  // Keep idle keep-alive connections longer than common proxies' (ALB: 60 s) so the proxy closes first.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  return server;
}
