// Role and origin checks for Next route handlers (the tRPC endpoint and the CSV export).
import { getSessionUser, type TAuth } from './auth';
import { hasRole, type TRole, type TSessionUser } from './roles';

function jsonError(status: number, error: string, message: string): Response {
  return Response.json({ error, message }, { status, headers: { 'cache-control': 'no-store' } });
}

/** The signed-in user when their role is `minimum` or above; otherwise the 401/403 to send. */
export async function authorizeRequest(
  auth: TAuth,
  req: Request,
  minimum: TRole,
): Promise<{ user: TSessionUser; response?: undefined } | { user?: undefined; response: Response }> {
  const user = await getSessionUser(auth, req.headers);
  if (!user) return { response: jsonError(401, 'unauthorized', 'Sign in first') };
  if (!hasRole(user.role, minimum)) {
    return { response: jsonError(403, 'forbidden', `This needs the ${minimum} role (you are ${user.role})`) };
  }
  return { user };
}

/**
 * CSRF guard for state-changing requests: the Origin header (every browser sends it on POST) must
 * be one the console trusts. SameSite=Lax cookies already stay off cross-site POSTs; this also
 * refuses same-site-but-other-origin pages and requests without an Origin.
 */
export async function checkMutationOrigin(auth: TAuth, req: Request): Promise<Response | null> {
  if (req.method === 'GET' || req.method === 'HEAD') return null;
  const origin = req.headers.get('origin');
  const context = await auth.$context;
  if (origin && context.isTrustedOrigin(origin)) return null;
  return jsonError(403, 'forbidden_origin', origin ? `Requests from ${origin} are not accepted` : 'Missing Origin header');
}
