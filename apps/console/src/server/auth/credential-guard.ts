// A better-auth plugin that guards every request to /api/auth/* at better-auth's own hook layer,
// i.e. AFTER its router has matched the endpoint and parsed the body, whatever the body's
// Content-Type and however the path was spelled:
// - state-changing requests must carry a trusted Origin (better-auth itself only checks Origin
//   when a cookie is present, so a cookieless sign-in from curl or another site got through);
// - bodies must be JSON (better-auth accepts form posts on sign-in for no-JS forms; the console
//   never sends one, and a form body is what slipped past the old JSON-only throttle);
// - every endpoint that checks a password is throttled on the parsed credentials, whatever the
//   body's encoding or the path's spelling.
import { APIError, createAuthMiddleware, getSessionFromCtx } from 'better-auth/api';
import type { BetterAuthPlugin } from 'better-auth';
import type { TSignInThrottle } from './sign-in-throttle';

/** server.ts sets this header from the socket (overwriting any client value) for per-IP limits. */
export const CLIENT_IP_HEADER = 'x-tripcast-client-ip';

/**
 * better-auth endpoints that verify a password, keyed how their attempts are counted:
 * sign-in by the email tried (+ client IP), the others by the signed-in user they check.
 * credential-guard.test.ts lists every endpoint whose body has a password field and fails when
 * one is neither here nor in its reviewed list of endpoints that only SET a password.
 */
export const PASSWORD_CHECKING_PATHS = {
  '/sign-in/email': 'email',
  '/change-password': 'session',
  '/verify-password': 'session',
  '/delete-user': 'session',
} as const satisfies Record<string, 'email' | 'session'>;

/** Error codes better-auth answers a wrong password with. */
const WRONG_PASSWORD_CODES = new Set(['INVALID_EMAIL_OR_PASSWORD', 'INVALID_PASSWORD']);

/**
 * The OAuth/OIDC callback may be a cross-site form post from the identity provider
 * (response_mode=form_post); it carries no trusted Origin and is protected by its `state`.
 */
const CROSS_SITE_POST_PATHS = new Set(['/callback/:id']);

const JSON_CONTENT_TYPE = /^application\/([a-z0-9.+-]*\+)?json\s*(;|$)/i;

function isPasswordCheckingPath(path: string): path is keyof typeof PASSWORD_CHECKING_PATHS {
  return Object.hasOwn(PASSWORD_CHECKING_PATHS, path);
}

export function credentialGuard(options: { throttle: TSignInThrottle }) {
  const { throttle } = options;
  // The key found before the endpoint ran, for its after hook (a password change may replace the
  // session the key was derived from).
  const keysByRequest = new WeakMap<Request, string | null>();

  type TCtx = Parameters<Parameters<typeof createAuthMiddleware>[0]>[0];

  /** The throttle key of a password check, or null when the request names no credentials. */
  async function throttleKey(ctx: TCtx): Promise<string | null> {
    if (!isPasswordCheckingPath(ctx.path)) return null;
    const ip = ctx.headers?.get(CLIENT_IP_HEADER) ?? '';
    if (PASSWORD_CHECKING_PATHS[ctx.path] === 'email') {
      const email = (ctx.body as { email?: unknown } | undefined)?.email;
      // Not a string: better-auth's body schema refuses it before any password is checked.
      return typeof email === 'string' ? `email:${email.trim().toLowerCase()}|${ip}` : null;
    }
    // Per user, not per IP: a stolen session must not buy more guesses from more addresses.
    const session = await getSessionFromCtx(ctx).catch(() => null);
    return session ? `user:${session.user.id}` : null;
  }

  return {
    id: 'tripcast-credential-guard',
    hooks: {
      before: [
        {
          matcher: () => true,
          handler: createAuthMiddleware(async (ctx) => {
            const request = ctx.request;
            const method = request?.method ?? 'GET';
            // Server-side calls (auth.api.* without a request) are the server itself.
            if (request && !['GET', 'HEAD', 'OPTIONS'].includes(method) && !CROSS_SITE_POST_PATHS.has(ctx.path)) {
              const origin = request.headers.get('origin');
              if (!origin || origin === 'null' || !ctx.context.isTrustedOrigin(origin)) {
                throw new APIError('FORBIDDEN', {
                  code: 'UNTRUSTED_ORIGIN',
                  message: origin ? `Requests from ${origin} are not accepted` : 'Missing Origin header',
                });
              }
              const contentType = request.headers.get('content-type');
              if (contentType && !JSON_CONTENT_TYPE.test(contentType)) {
                throw new APIError('UNSUPPORTED_MEDIA_TYPE', {
                  code: 'UNSUPPORTED_MEDIA_TYPE',
                  message: `Content-Type must be application/json (got ${contentType.split(';')[0]})`,
                });
              }
            }
            const key = await throttleKey(ctx);
            if (request) keysByRequest.set(request, key);
            if (!key) return;
            const wait = throttle.retryAfterSeconds(key);
            if (wait > 0) {
              throw new APIError(
                'TOO_MANY_REQUESTS',
                {
                  code: 'TOO_MANY_ATTEMPTS',
                  message: `Too many failed password attempts; try again in ${Math.ceil(wait / 60)} min`,
                },
                { 'retry-after': String(wait), 'cache-control': 'no-store' },
              );
            }
          }),
        },
      ],
      after: [
        {
          matcher: (ctx) => isPasswordCheckingPath(ctx.path ?? ''),
          handler: createAuthMiddleware(async (ctx) => {
            const key = ctx.request && keysByRequest.has(ctx.request) ? keysByRequest.get(ctx.request) : await throttleKey(ctx);
            if (!key) return;
            const returned = ctx.context.returned;
            if (returned instanceof APIError || (returned as { name?: string } | undefined)?.name === 'APIError') {
              const code = (returned as APIError).body?.code;
              if (code && WRONG_PASSWORD_CODES.has(code)) throttle.recordFailure(key);
            } else if (returned !== undefined) {
              throttle.recordSuccess(key);
            }
          }),
        },
      ],
    },
  } satisfies BetterAuthPlugin;
}
