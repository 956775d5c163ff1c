// Sign-in for the console: better-auth over our Prisma client (email + password, optional generic
// OIDC), roles from its admin plugin. One instance per process, created on first use.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { betterAuth } from 'better-auth';
import { prismaAdapter } from 'better-auth/adapters/prisma';
import { admin } from 'better-auth/plugins/admin';
import { adminAc, userAc } from 'better-auth/plugins/admin/access';
import { genericOAuth } from 'better-auth/plugins/generic-oauth';
import type { TDb } from '@tripcast/db/client';
import { getEnv, type TEnv } from '~/env';
import { getConsoleDb } from '../db';
import { CLIENT_IP_HEADER, credentialGuard } from './credential-guard';
import { isRole, type TSessionUser } from './roles';
import { createSignInThrottle, type TSignInThrottle } from './sign-in-throttle';

export { CLIENT_IP_HEADER } from './credential-guard';

/** Without CONSOLE_PUBLIC_URL (local use) these origins are trusted, any port. */
const LOCAL_ORIGINS = ['http://localhost:*', 'http://127.0.0.1:*'];
/** ...and these hosts give the base URL of each request (the browser may use either name). */
const LOCAL_HOSTS = ['localhost:*', '127.0.0.1:*'];

/** A fixed public URL, or for local use the request's own host when it is a local one. */
type TBaseUrl = NonNullable<Parameters<typeof betterAuth>[0]['baseURL']>;

export type TOidcConfig = { issuer: string; clientId: string; clientSecret: string };

export type TCreateAuthOptions = {
  db: TDb;
  secret: string;
  /** The public URL (https in production: cookies are then Secure), or local hosts to accept. */
  baseURL: TBaseUrl;
  trustedOrigins: string[];
  oidc?: TOidcConfig;
  /** Counts failed password checks (default: 5 failures / 15 min); tests pass a stricter one. */
  throttle?: TSignInThrottle;
};

export function createAuth(options: TCreateAuthOptions) {
  return betterAuth({
    appName: 'Tripcast',
    database: prismaAdapter(options.db, { provider: 'postgresql' }),
    secret: options.secret,
    baseURL: options.baseURL,
    trustedOrigins: options.trustedOrigins,
    // No self sign-up: admins create users (users page) and `npm start` creates the first admin.
    emailAndPassword: { enabled: true, disableSignUp: true, minPasswordLength: 12 },
    session: { expiresIn: 60 * 60 * 24 * 7, updateAge: 60 * 60 * 24 },
    user: { additionalFields: { createdBy: { type: 'string', required: false, input: false } } },
    plugins: [
      // Trusted Origin + JSON bodies on every state-changing request, and the password throttle.
      credentialGuard({ throttle: options.throttle ?? createSignInThrottle() }),
      // Roles live on the user (`role`); only `admin` may use the plugin's own /admin endpoints.
      // viewer and analyst get no rights on those endpoints (userAc: only what a user may do to itself).
      admin({
        roles: { viewer: userAc, analyst: userAc, admin: adminAc },
        defaultRole: 'viewer',
        adminRoles: ['admin'],
      }),
      ...(options.oidc
        ? [
            genericOAuth({
              config: [
                {
                  providerId: 'oidc',
                  discoveryUrl: `${options.oidc.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`,
                  clientId: options.oidc.clientId,
                  clientSecret: options.oidc.clientSecret,
                  scopes: ['openid', 'email', 'profile'],
                  pkce: true,
                },
              ],
            }),
          ]
        : []),
    ],
    // better-auth's limiter guards its other endpoints per IP; password checks are throttled by
    // credentialGuard (per email+IP for sign-in, per user for the others), which counts failures
    // only, so a user who signs in correctly is never locked out by others sharing an IP.
    rateLimit: { enabled: true, window: 60, max: 300, customRules: { '/sign-in/email': false } },
    advanced: {
      ipAddress: { ipAddressHeaders: [CLIENT_IP_HEADER] },
      defaultCookieAttributes: { httpOnly: true, sameSite: 'lax' },
    },
    telemetry: { enabled: false },
  });
}

export type TAuth = ReturnType<typeof createAuth>;

/** The session user of a request (cookie), or null. Unknown roles count as no session. */
export async function getSessionUser(auth: TAuth, headers: Headers): Promise<TSessionUser | null> {
  const session = await auth.api.getSession({ headers });
  if (!session) return null;
  const { id, email, name, role } = session.user as {
    id: string;
    email: string;
    name: string;
    role?: unknown;
  };
  return isRole(role) ? { id, email, name, role } : null;
}

/**
 * BETTER_AUTH_SECRET, or for local use (no CONSOLE_PUBLIC_URL) a random one kept in
 * TRIPCAST_HOME/auth-secret so sessions survive restarts. A deployment must set it.
 */
function resolveSecret(env: ReturnType<typeof getEnv>): string {
  if (env.BETTER_AUTH_SECRET) return env.BETTER_AUTH_SECRET;
  if (env.CONSOLE_PUBLIC_URL) {
    throw new Error(
      'BETTER_AUTH_SECRET is required when CONSOLE_PUBLIC_URL is set (32+ random characters, e.g. `openssl rand -base64 32`)',
    );
  }
  const file = path.join(/*turbopackIgnore: true*/ env.tripcastHome, 'auth-secret');
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    fs.mkdirSync(env.tripcastHome, { recursive: true });
    const secret = randomBytes(32).toString('base64url');
    fs.writeFileSync(file, secret, { mode: 0o600, flag: 'wx' });
    return secret;
  }
}

export function getOidcConfig(env: ReturnType<typeof getEnv>): TOidcConfig | undefined {
  const { OIDC_ISSUER: issuer, OIDC_CLIENT_ID: clientId, OIDC_CLIENT_SECRET: clientSecret } = env;
  if (!issuer && !clientId && !clientSecret) return undefined;
  if (!issuer || !clientId || !clientSecret) {
    throw new Error('OIDC sign-in needs all of OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET');
  }
  return { issuer, clientId, clientSecret };
}

/**
 * CONSOLE_PUBLIC_URL in a deployment. Locally the console answers on localhost and 127.0.0.1 alike,
 * so the base URL follows the request among those hosts (one fixed URL would send a browser that
 * came by the other name to a different cookie origin); anything else falls back to localhost.
 */
export function getBaseUrl(env: Pick<TEnv, 'CONSOLE_PUBLIC_URL' | 'CONSOLE_PORT'>): TBaseUrl {
  return (
    env.CONSOLE_PUBLIC_URL ?? {
      allowedHosts: LOCAL_HOSTS,
      protocol: 'http',
      fallback: `http://localhost:${env.CONSOLE_PORT}`,
    }
  );
}

export function getTrustedOrigins(env: Pick<TEnv, 'CONSOLE_PUBLIC_URL'>): string[] {
  return env.CONSOLE_PUBLIC_URL ? [new URL(env.CONSOLE_PUBLIC_URL).origin] : LOCAL_ORIGINS;
}

const holder = globalThis as typeof globalThis & { __tripcastAuth?: TAuth };

/** The process's auth instance (shared by the auth route, tRPC and the history export). */
export function getAuth(): TAuth {
  if (holder.__tripcastAuth) return holder.__tripcastAuth;
  const env = getEnv();
  holder.__tripcastAuth = createAuth({
    db: getConsoleDb(),
    secret: resolveSecret(env),
    baseURL: getBaseUrl(env),
    trustedOrigins: getTrustedOrigins(env),
    oidc: getOidcConfig(env),
  });
  return holder.__tripcastAuth;
}
