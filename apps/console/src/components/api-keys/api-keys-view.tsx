'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { PageHeader } from '~/components/page-header';
import { Badge } from '~/components/ui/badge';
import { Button } from '~/components/ui/button';
import { Card, CardBody, CardHeader } from '~/components/ui/card';
import { ConfirmDialog } from '~/components/ui/dialog';
import { Field, Input } from '~/components/ui/form';
import { Code, EmptyState, ErrorState, LoadingRows } from '~/components/ui/states';
import { Table, Td, Th } from '~/components/ui/table';
import { formatDateTime, formatRelative } from '~/lib/format';
import { useTRPC } from '~/trpc/react';

export function ApiKeysView() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [toRevoke, setToRevoke] = useState<{ id: string; name: string; prefix: string } | null>(null);
  const keys = useQuery(trpc.apiKeys.list.queryOptions());
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.apiKeys.list.queryKey() });
  const create = useMutation(trpc.apiKeys.create.mutationOptions({ onSuccess: () => void invalidate() }));
  const revoke = useMutation(
    trpc.apiKeys.revoke.mutationOptions({
      onSuccess: () => {
        setToRevoke(null);
        void invalidate();
      },
    }),
  );
  const nameError = (create.error?.data as { fieldErrors?: Record<string, string[] | undefined> } | undefined)
    ?.fieldErrors?.name?.[0];

  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate({ name }, { onSuccess: () => setName('') });
  };

  return (
    <>
      <PageHeader
        title="API keys"
        description="Services call POST /api/v1/predict with Authorization: Bearer <key>. A key is shown once; only its hash is stored. Revoking stops it within a second."
      />
      <Card>
        <CardHeader title="Create a key" />
        <CardBody>
          <form onSubmit={submit} className="flex items-end gap-3" aria-label="Create an API key">
            <Field id="api-key-name" label="Name (the service that will use it)" error={nameError}>
              <Input
                id="api-key-name"
                className="w-80"
                value={name}
                maxLength={100}
                required
                onChange={(e) => setName(e.target.value)}
              />
            </Field>
            <Button type="submit" isLoading={create.isPending} disabled={name.trim() === ''}>
              Create key
            </Button>
          </form>
          {create.isError && !nameError && <ErrorState error={create.error} />}
          {create.data && (
            <div
              role="status"
              className="mt-4 rounded-lg border border-warning/40 bg-warning/10 px-4 py-3 text-sm"
              data-testid="new-api-key"
            >
              <div className="font-medium">
                Copy the key for “{create.data.apiKey.name}” now: it will not be shown again.
              </div>
              <code className="mt-2 block break-all font-mono text-xs" data-testid="new-api-key-value">
                {create.data.key}
              </code>
            </div>
          )}
        </CardBody>
      </Card>

      <Card className="mt-6">
        <CardHeader title="Keys" description="Last use is recorded within a few seconds." />
        <CardBody>
          {keys.isPending ? (
            <LoadingRows />
          ) : keys.isError ? (
            <ErrorState error={keys.error} onRetry={() => void keys.refetch()} />
          ) : keys.data.length === 0 ? (
            <EmptyState title="No API keys yet">
              Create one above for each service that calls <Code>POST /api/v1/predict</Code>.
            </EmptyState>
          ) : (
            <Table data-testid="api-keys">
              <thead>
                <tr>
                  <Th>Name</Th>
                  <Th>Key</Th>
                  <Th>Created</Th>
                  <Th>Last used</Th>
                  <Th>Status</Th>
                  <Th />
                </tr>
              </thead>
              <tbody>
                {keys.data.map((key) => (
                  <tr key={key.id}>
                    <Td className="font-medium">{key.name}</Td>
                    <Td className="font-mono text-xs">{key.prefix}…</Td>
                    <Td className="text-muted-foreground">
                      {formatDateTime(key.createdAt)} by {key.createdBy}
                    </Td>
                    <Td className="text-muted-foreground">{key.lastUsedAt ? formatRelative(key.lastUsedAt) : 'never'}</Td>
                    <Td>
                      {key.revokedAt ? (
                        <Badge tone="danger">revoked {formatDateTime(key.revokedAt)}</Badge>
                      ) : (
                        <Badge tone="success">active</Badge>
                      )}
                    </Td>
                    <Td className="text-right">
                      {!key.revokedAt && (
                        <Button
                          variant="secondary"
                          size="sm"
                          onClick={() => setToRevoke({ id: key.id, name: key.name, prefix: key.prefix })}
                        >
                          Revoke
                        </Button>
                      )}
                    </Td>
                  </tr>
                ))}
              </tbody>
            </Table>
          )}
        </CardBody>
      </Card>

      <ConfirmDialog
        open={toRevoke !== null}
        title="Revoke this API key?"
        confirmLabel="Revoke key"
        tone="danger"
        isPending={revoke.isPending}
        onConfirm={() => toRevoke && revoke.mutate({ id: toRevoke.id })}
        onCancel={() => setToRevoke(null)}
      >
        {toRevoke && (
          <p>
            Requests with <span className="font-mono">{toRevoke.prefix}…</span> ({toRevoke.name}) will be
            refused with 401 from now on. This cannot be undone.
          </p>
        )}
        {revoke.isError && <ErrorState error={revoke.error} />}
      </ConfirmDialog>
    </>
  );
}
