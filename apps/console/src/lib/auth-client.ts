// better-auth's browser client (same origin: /api/auth/*).
import { createAuthClient } from 'better-auth/react';

export const authClient = createAuthClient();

/** Starts OIDC sign-in (generic OAuth plugin's endpoint) and follows the provider's redirect. */
export async function signInWithOidc(callbackURL: string): Promise<string | null> {
  const res = await fetch('/api/auth/sign-in/oauth2', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ providerId: 'oidc', callbackURL }),
  });
  const body = (await res.json().catch(() => ({}))) as { url?: string; message?: string };
  if (res.ok && body.url) {
    window.location.assign(body.url);
    return null;
  }
  return body.message ?? `Single sign-on failed (${res.status})`;
}
