'use client';

import { useSearchParams } from 'next/navigation';
import { Suspense, useEffect, useState, type FormEvent } from 'react';
import { Button } from '~/components/ui/button';
import { Card, CardBody } from '~/components/ui/card';
import { Field, Input } from '~/components/ui/form';
import { useSessionUser } from '~/components/session';
import { authClient, signInWithOidc } from '~/lib/auth-client';

/** Only same-site paths: `next` must never send the browser to another origin after sign-in. */
function safeNext(value: string | null): string {
  return value && value.startsWith('/') && !value.startsWith('//') ? value : '/';
}

function SignInForm({ oidcName }: { oidcName: string | null }) {
  const next = safeNext(useSearchParams().get('next'));
  const user = useSessionUser();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [isPending, setIsPending] = useState(false);

  useEffect(() => {
    if (user) window.location.assign(next);
  }, [user, next]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setIsPending(true);
    setError(null);
    const result = await authClient.signIn.email({ email, password });
    if (result.error) {
      setError(
        result.error.status === 429
          ? (result.error.message ?? 'Too many failed sign-ins; try again later')
          : result.error.status === 401
            ? 'Wrong email or password'
            : (result.error.message ?? 'Sign-in failed'),
      );
      setIsPending(false);
      return;
    }
    // A full load, so the server renders the console with the new session.
    window.location.assign(next);
  };

  return (
    <Card className="w-full max-w-sm">
      <CardBody className="space-y-5 py-8">
        <div className="flex items-center gap-2">
          <span className="grid size-8 place-items-center rounded-md bg-primary text-sm font-bold text-primary-foreground">
            T
          </span>
          <h1 className="text-xl font-semibold tracking-tight">Sign in to Tripcast</h1>
        </div>
        <form onSubmit={(e) => void submit(e)} className="space-y-4" aria-label="Sign in">
          <Field id="email" label="Email">
            <Input id="email" type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
          </Field>
          <Field id="password" label="Password">
            <Input
              id="password"
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          </Field>
          {error && (
            <p role="alert" className="text-sm text-danger" data-testid="sign-in-error">
              {error}
            </p>
          )}
          <Button type="submit" className="w-full" isLoading={isPending}>
            Sign in
          </Button>
        </form>
        {oidcName && (
          <Button
            variant="secondary"
            className="w-full"
            onClick={() => void signInWithOidc(next).then((message) => message && setError(message))}
          >
            Sign in with {oidcName}
          </Button>
        )}
        <p className="text-xs text-muted-foreground">
          No account? An admin creates users on the Users page. The first admin&apos;s password is printed
          once by <code>npm start</code>.
        </p>
      </CardBody>
    </Card>
  );
}

export function SignInView({ oidcName }: { oidcName: string | null }) {
  return (
    <Suspense>
      <SignInForm oidcName={oidcName} />
    </Suspense>
  );
}
