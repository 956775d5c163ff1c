'use client';

import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { PageHeader } from '~/components/page-header';
import { useSessionUser } from '~/components/session';
import { Button } from '~/components/ui/button';
import { Card, CardBody, CardHeader } from '~/components/ui/card';
import { Field, Input } from '~/components/ui/form';
import { ErrorState } from '~/components/ui/states';
import { ROLE_DESCRIPTIONS } from '~/server/auth/roles';
import { useTRPC } from '~/trpc/react';

/** The signed-in user's own page: who they are, their role, and changing their password. */
export function AccountView() {
  const trpc = useTRPC();
  const user = useSessionUser();
  const [currentPassword, setCurrentPassword] = useState('');
  const [newPassword, setNewPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const change = useMutation(
    trpc.users.changeOwnPassword.mutationOptions({
      // Every session of the user is revoked, this one too: sign in again with the new password.
      onSuccess: () => window.location.assign('/sign-in?next=%2Faccount'),
    }),
  );
  const fieldErrors = (change.error?.data as { fieldErrors?: Record<string, string[] | undefined> } | undefined)
    ?.fieldErrors;
  const isMismatch = repeat !== '' && repeat !== newPassword;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!isMismatch) change.mutate({ currentPassword, newPassword });
  };
  if (!user) return null;
  return (
    <>
      <PageHeader title="Your account" description={`${user.name} · ${user.email}`} />
      <Card className="mb-6">
        <CardBody className="text-sm">
          Role <strong data-testid="account-role">{user.role}</strong>: {ROLE_DESCRIPTIONS[user.role]}. An
          admin changes roles on the Users page.
        </CardBody>
      </Card>
      <Card className="max-w-xl">
        <CardHeader
          title="Change your password"
          description="At least 12 characters. You are signed out everywhere afterwards and sign in again with the new one."
        />
        <CardBody>
          <form className="space-y-3" onSubmit={submit} aria-label="Change your password">
            <Field id="current-password" label="Current password" error={fieldErrors?.currentPassword?.[0]}>
              <Input
                id="current-password"
                type="password"
                autoComplete="current-password"
                required
                value={currentPassword}
                onChange={(e) => setCurrentPassword(e.target.value)}
              />
            </Field>
            <Field id="new-password" label="New password" error={fieldErrors?.newPassword?.[0]}>
              <Input
                id="new-password"
                type="password"
                autoComplete="new-password"
                required
                minLength={12}
                value={newPassword}
                onChange={(e) => setNewPassword(e.target.value)}
              />
            </Field>
            <Field id="repeat-password" label="New password again" error={isMismatch ? 'The two new passwords differ' : null}>
              <Input
                id="repeat-password"
                type="password"
                autoComplete="new-password"
                required
                value={repeat}
                aria-invalid={isMismatch || undefined}
                onChange={(e) => setRepeat(e.target.value)}
              />
            </Field>
            {change.isError && !fieldErrors && <ErrorState error={change.error} />}
            <Button type="submit" isLoading={change.isPending} disabled={isMismatch}>
              Change password
            </Button>
          </form>
        </CardBody>
      </Card>
    </>
  );
}
