// The /api/auth/* route: better-auth's handler, with password sign-in throttled per email + IP.
import { toNextJsHandler } from 'better-auth/next-js';
import { CLIENT_IP_HEADER, type TAuth } from './auth';
import type { TSignInThrottle } from './sign-in-throttle';

async function readEmail(req: Request): Promise<string | null> {
  try {
    const body = (await req.clone().json()) as { email?: unknown };
    return typeof body.email === 'string' ? body.email.trim().toLowerCase() : null;
  } catch {
    return null;
  }
}

export function createAuthRouteHandlers(auth: TAuth, throttle: TSignInThrottle) {
  const handlers = toNextJsHandler(auth);
  return {
    GET: (req: Request) => handlers.GET(req),
    async POST(req: Request): Promise<Response> {
      if (!new URL(req.url).pathname.endsWith('/sign-in/email')) return handlers.POST(req);
      const email = await readEmail(req);
      if (email === null) return handlers.POST(req);
      const key = `${email}|${req.headers.get(CLIENT_IP_HEADER) ?? ''}`;
      const wait = throttle.retryAfterSeconds(key);
      if (wait > 0) {
        return Response.json(
          { code: 'TOO_MANY_ATTEMPTS', message: `Too many failed sign-ins for this email; try again in ${Math.ceil(wait / 60)} min` },
          { status: 429, headers: { 'retry-after': String(wait), 'cache-control': 'no-store' } },
        );
      }
      const response = await handlers.POST(req);
      if (response.status === 401) throttle.recordFailure(key);
      else if (response.ok) throttle.recordSuccess(key);
      return response;
    },
  };
}
