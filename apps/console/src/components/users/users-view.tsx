'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { PageHeader } from '~/components/page-header';
import { Badge } from '~/components/ui/badge';
import { Button } from '~/components/ui/button';
import { Card, CardBody, CardHeader } from '~/components/ui/card';
import { Field, Input, Select } from '~/components/ui/form';
import { OnceSecret } from '~/components/ui/copy-button';
import { ConfirmDialog } from '~/components/ui/dialog';
import { ErrorState, LoadingRows } from '~/components/ui/states';
import { Table, Td, Th } from '~/components/ui/table';
import { useSessionUser } from '~/components/session';
import type { RouterOutputs } from '~/server/api/root';
import { formatDateTime } from '~/lib/format';
import { ROLE_DESCRIPTIONS, ROLES, type TRole } from '~/server/auth/roles';
import { useTRPC } from '~/trpc/react';

export function UsersView() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const users = useQuery(trpc.users.list.queryOptions());
  const create = useMutation(
    trpc.users.create.mutationOptions({
      onSuccess: () => void queryClient.invalidateQueries({ queryKey: trpc.users.list.queryKey() }),
    }),
  );
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState<TRole>('viewer');
  const [password, setPassword] = useState('');
  const fieldErrors = (create.error?.data as { fieldErrors?: Record<string, string[] | undefined> } | undefined)?.fieldErrors;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate(
      { email, name, role, ...(password ? { password } : {}) },
      {
        onSuccess: () => {
          setEmail('');
          setName('');
          setPassword('');
        },
      },
    );
  };

  return (
    <>
      <PageHeader title="Users" description="Who may sign in, and with which role. Sign-up is closed: create each user here." />
      <Card>
        <CardHeader title="Create a user" />
        <CardBody>
          <form onSubmit={submit} className="grid grid-cols-[minmax(0,2fr)_minmax(0,1.5fr)_8rem_minmax(0,1.75fr)_auto] items-end gap-3" aria-label="Create a user">
            <Field id="user-email" label="Email" error={fieldErrors?.email?.[0]}>
              <Input id="user-email" type="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
            </Field>
            <Field id="user-name" label="Name" error={fieldErrors?.name?.[0]}>
              <Input id="user-name" required value={name} onChange={(e) => setName(e.target.value)} />
            </Field>
            <Field id="user-role" label="Role">
              <Select id="user-role" value={role} onChange={(e) => setRole(e.target.value as TRole)}>
                {ROLES.map((r) => (
                  <option key={r} value={r}>
                    {r}
                  </option>
                ))}
              </Select>
            </Field>
            <Field id="user-password" label="Password (empty: generate)" error={fieldErrors?.password?.[0]}>
              <Input id="user-password" type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />
            </Field>
            <Button type="submit" isLoading={create.isPending}>
              Create user
            </Button>
          </form>
          <p className="mt-2 text-xs text-muted-foreground">
            {role}: {ROLE_DESCRIPTIONS[role]}
          </p>
          {create.isError && !fieldErrors && <ErrorState error={create.error} />}
          {create.data && (
            <div role="status" className="mt-4 rounded-lg border border-warning/40 bg-warning/10 px-4 py-3 text-sm" data-testid="new-user">
              Created {create.data.user.email} ({create.data.user.role}). Copy the password now: it
              will not be shown again.
              <OnceSecret value={create.data.password} testId="new-user-password" />
            </div>
          )}
        </CardBody>
      </Card>
      <Card className="mt-6">
        <CardHeader title="Users" />
        <CardBody>
          {users.isPending ? (
            <LoadingRows />
          ) : users.isError ? (
            <ErrorState error={users.error} onRetry={() => void users.refetch()} />
          ) : (
            <UsersTable users={users.data} />
          )}
        </CardBody>
      </Card>
    </>
  );
}

type TUser = RouterOutputs['users']['list'][number];
type TPending = { kind: 'disable' | 'reset'; user: TUser } | null;

/** The users, with each one's role, state and the admin actions (never on yourself). */
function UsersTable({ users }: { users: TUser[] }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const me = useSessionUser();
  const [pending, setPending] = useState<TPending>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.users.list.queryKey() });
  const setRole = useMutation(trpc.users.setRole.mutationOptions({ onSuccess: refresh }));
  const setDisabled = useMutation(
    trpc.users.setDisabled.mutationOptions({
      onSuccess: async () => {
        setPending(null);
        await refresh();
      },
    }),
  );
  const reset = useMutation(trpc.users.resetPassword.mutationOptions({ onSuccess: () => setPending(null) }));
  const error = setRole.error ?? setDisabled.error ?? reset.error;
  return (
    <>
      {error && (
        <div className="mb-3">
          <ErrorState error={error} />
        </div>
      )}
      {reset.data && (
        <div role="status" className="mb-4 rounded-lg border border-warning/40 bg-warning/10 px-4 py-3 text-sm" data-testid="reset-password">
          New password for {reset.data.email} (signed out everywhere). Copy it now: it will not be shown again.
          <OnceSecret value={reset.data.password} testId="reset-password-value" />
        </div>
      )}
      <Table data-testid="users" className="table-fixed">
        <colgroup>
          <col />
          <col className="w-[8.5rem]" />
          <col className="w-[6rem]" />
          <col className="w-[12rem]" />
          <col className="w-[15rem]" />
        </colgroup>
        <thead>
          <tr>
            <Th>User</Th>
            <Th>Role</Th>
            <Th>State</Th>
            <Th>Created</Th>
            <Th className="text-right">Actions</Th>
          </tr>
        </thead>
        <tbody>
          {users.map((u) => {
            const isMe = u.id === me?.id;
            return (
              <tr key={u.id} data-testid="user-row" data-email={u.email}>
                <Td className="truncate" title={`${u.name} <${u.email}>`}>
                  <span className="font-medium">{u.email}</span>
                  {isMe && <span className="ml-1 text-xs text-muted-foreground">(you)</span>}
                  <span className="block truncate text-xs text-muted-foreground">{u.name}</span>
                </Td>
                <Td>
                  {isMe ? (
                    <Badge tone="info">{u.role}</Badge>
                  ) : (
                    <Select
                      aria-label={`Role of ${u.email}`}
                      className="h-8"
                      value={u.role}
                      disabled={setRole.isPending}
                      onChange={(e) => setRole.mutate({ userId: u.id, role: e.target.value as TRole })}
                    >
                      {ROLES.map((r) => (
                        <option key={r} value={r}>
                          {r}
                        </option>
                      ))}
                    </Select>
                  )}
                </Td>
                <Td>
                  <Badge tone={u.banned ? 'danger' : 'success'}>{u.banned ? 'disabled' : 'active'}</Badge>
                </Td>
                <Td className="whitespace-normal! text-xs text-muted-foreground">
                  {formatDateTime(u.createdAt)}
                  {u.createdBy && <span className="block truncate" title={u.createdBy}>by {u.createdBy}</span>}
                </Td>
                <Td className="text-right">
                  {!isMe && (
                    <span className="inline-flex gap-2">
                      <Button variant="secondary" size="sm" onClick={() => setPending({ kind: 'reset', user: u })}>
                        Reset password…
                      </Button>
                      {u.banned ? (
                        <Button
                          variant="secondary"
                          size="sm"
                          isLoading={setDisabled.isPending}
                          onClick={() => setDisabled.mutate({ userId: u.id, isDisabled: false })}
                        >
                          Enable
                        </Button>
                      ) : (
                        <Button variant="secondary" size="sm" onClick={() => setPending({ kind: 'disable', user: u })}>
                          Disable…
                        </Button>
                      )}
                    </span>
                  )}
                </Td>
              </tr>
            );
          })}
        </tbody>
      </Table>
      <ConfirmDialog
        open={pending?.kind === 'disable'}
        title={pending ? `Disable ${pending.user.email}?` : ''}
        confirmLabel="Disable"
        tone="danger"
        isPending={setDisabled.isPending}
        onCancel={() => setPending(null)}
        onConfirm={() => pending && setDisabled.mutate({ userId: pending.user.id, isDisabled: true })}
      >
        They are signed out at once and cannot sign in until an admin enables them again. What they
        did stays in the audit log.
      </ConfirmDialog>
      <ConfirmDialog
        open={pending?.kind === 'reset'}
        title={pending ? `Reset the password of ${pending.user.email}?` : ''}
        confirmLabel="Reset password"
        tone="danger"
        isPending={reset.isPending}
        onCancel={() => setPending(null)}
        onConfirm={() => pending && reset.mutate({ userId: pending.user.id })}
      >
        A new random password replaces theirs and is shown to you once; they are signed out
        everywhere. Give it to them over a channel you trust; they can change it under Change
        password.
      </ConfirmDialog>
    </>
  );
}
