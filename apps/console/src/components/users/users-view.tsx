'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { PageHeader } from '~/components/page-header';
import { Badge } from '~/components/ui/badge';
import { Button } from '~/components/ui/button';
import { Card, CardBody, CardHeader } from '~/components/ui/card';
import { Field, Input, Select } from '~/components/ui/form';
import { ErrorState, LoadingRows } from '~/components/ui/states';
import { Table, Td, Th } from '~/components/ui/table';
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
          <form onSubmit={submit} className="grid grid-cols-[16rem_12rem_9rem_14rem_auto] items-end gap-3" aria-label="Create a user">
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
              Created {create.data.user.email} ({create.data.user.role}). Password, shown once:{' '}
              <code className="font-mono" data-testid="new-user-password">
                {create.data.password}
              </code>
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
            <Table data-testid="users">
              <thead>
                <tr>
                  <Th>Email</Th>
                  <Th>Name</Th>
                  <Th>Role</Th>
                  <Th>Created</Th>
                </tr>
              </thead>
              <tbody>
                {users.data.map((u) => (
                  <tr key={u.id}>
                    <Td className="font-medium">{u.email}</Td>
                    <Td>{u.name}</Td>
                    <Td>
                      <Badge tone={u.role === 'admin' ? 'info' : 'neutral'}>{u.role}</Badge>
                    </Td>
                    <Td className="text-muted-foreground">
                      {formatDateTime(u.createdAt)}
                      {u.createdBy ? ` by ${u.createdBy}` : ''}
                    </Td>
                  </tr>
                ))}
              </tbody>
            </Table>
          )}
        </CardBody>
      </Card>
    </>
  );
}
