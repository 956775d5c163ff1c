'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { PageHeader } from '~/components/page-header';
import { Badge } from '~/components/ui/badge';
import { OnceSecret } from '~/components/ui/copy-button';
import { Button } from '~/components/ui/button';
import { Card, CardBody, CardHeader } from '~/components/ui/card';
import { ConfirmDialog } from '~/components/ui/dialog';
import { Field, Input } from '~/components/ui/form';
import { Code, EmptyState, ErrorState, LoadingRows } from '~/components/ui/states';
import { Table, Td, Th } from '~/components/ui/table';
import { formatDateTime, formatRelative } from '~/lib/format';
import { useTRPC } from '~/trpc/react';

type TScope = 'predict' | 'read';
const SCOPE_LABELS: Record<TScope, { label: string; hint: string }> = {
  predict: { label: 'predict', hint: 'POST /api/v1/predict' },
  read: { label: 'read', hint: 'GET /api/v1/runs…, /api/v1/predictions' },
};

export function ApiKeysView() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  // Default predict only: what every key could do before scopes existed.
  const [scopes, setScopes] = useState<TScope[]>(['predict']);
  const toggleScope = (scope: TScope, isOn: boolean) =>
    setScopes((current) => (isOn ? [...new Set([...current, scope])] : current.filter((s) => s !== scope)));
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
    create.mutate(
      { name, scopes },
      {
        onSuccess: () => {
          setName('');
          setScopes(['predict']);
        },
      },
    );
  };

  return (
    <>
      <PageHeader
        title="API keys"
        description="Services call the API with Authorization: Bearer <key>: POST /api/v1/predict needs the predict scope, the read endpoints (runs, predictions) the read scope. A key is shown once; only its hash is stored. Revoking stops it within a second."
      />
      <Card>
        <CardHeader title="Create a key" />
        <CardBody>
          <form onSubmit={submit} className="flex flex-wrap items-end gap-x-6 gap-y-3" aria-label="Create an API key">
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
            <fieldset className="flex flex-col gap-1 pb-1">
              <legend className="mb-1 text-sm font-medium">Scopes</legend>
              <div className="flex gap-4">
                {(Object.keys(SCOPE_LABELS) as TScope[]).map((scope) => (
                  <label key={scope} className="flex items-center gap-2 text-sm">
                    <input
                      type="checkbox"
                      name="scopes"
                      value={scope}
                      checked={scopes.includes(scope)}
                      onChange={(e) => toggleScope(scope, e.target.checked)}
                    />
                    <span>
                      {SCOPE_LABELS[scope].label}{' '}
                      <span className="text-xs text-muted-foreground">{SCOPE_LABELS[scope].hint}</span>
                    </span>
                  </label>
                ))}
              </div>
            </fieldset>
            <Button type="submit" isLoading={create.isPending} disabled={name.trim() === '' || scopes.length === 0}>
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
              <OnceSecret value={create.data.key} testId="new-api-key-value" />
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
              Create one above for each service that calls <Code>POST /api/v1/predict</Code> or reads runs and
              predictions.
            </EmptyState>
          ) : (
            <Table data-testid="api-keys">
              <thead>
                <tr>
                  <Th>Name</Th>
                  <Th>Key</Th>
                  <Th>Scopes</Th>
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
                    <Td>
                      <div className="flex gap-1">
                        {(key.scopes ?? ['predict']).map((scope) => (
                          <Badge key={scope}>{scope}</Badge>
                        ))}
                      </div>
                    </Td>
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
