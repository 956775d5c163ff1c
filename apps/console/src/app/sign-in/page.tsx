import type { Metadata } from 'next';
import { SignInView } from '~/components/sign-in/sign-in-view';
import { getEnv } from '~/env';
import { getOidcConfig } from '~/server/auth/auth';

export const metadata: Metadata = { title: 'Sign in' };
export const dynamic = 'force-dynamic';

export default function SignInPage() {
  const env = getEnv();
  return <SignInView oidcName={getOidcConfig(env) ? env.OIDC_PROVIDER_NAME : null} />;
}
