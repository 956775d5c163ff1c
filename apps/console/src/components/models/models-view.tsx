'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useSearchParams } from 'next/navigation';
import { useRef, useState, type FormEvent } from 'react';
import { ZModelCard, type TModelCard } from '@tripcast/model';
import { PageHeader } from '~/components/page-header';
import { StatusBadge } from '~/components/ui/badge';
import { Button } from '~/components/ui/button';
import { Card, CardBody, CardHeader } from '~/components/ui/card';
import { useHasRole } from '~/components/session';
import { ConfirmDialog } from '~/components/ui/dialog';
import { Field, Input } from '~/components/ui/form';
import { EmptyState, ErrorState, LoadingRows } from '~/components/ui/states';
import { formatCount, formatDateTime, formatRelative } from '~/lib/format';
import type { RouterOutputs } from '~/server/api/root';
import { useTRPC } from '~/trpc/react';
import { ChallengersPanel } from './challengers-panel';
import { ComparePanel } from './compare-panel';

type TVersion = RouterOutputs['models']['list']['versions'][number];
type TPending =
  { kind: 'promote'; version: string } | { kind: 'rollback'; toVersion: string } | null;

function readCard(card: unknown): TModelCard | null {
  const parsed = ZModelCard.safeParse(card);
  return parsed.success ? parsed.data : null;
}

const fmt = (x: number | undefined, digits = 2) => (x == null ? '—' : x.toFixed(digits));

function VersionCard({
  v,
  canManage,
  rollbackTarget,
  onPromote,
  onRollback,
}: {
  v: TVersion;
  /** The version a rollback would put back; null: nothing to roll back to. */
  rollbackTarget: string | null;
  /** Admins promote and roll back; others see the versions read-only. */
  canManage: boolean;
  onPromote: () => void;
  onRollback: () => void;
}) {
  const card = readCard(v.card);
  const train = card?.metrics.train;
  const validation = card?.metrics.validation;
  const isProduction = v.stage === 'production';
  return (
    <Card
      className={isProduction ? 'ring-2 ring-success/50' : undefined}
      data-testid="model-card"
      data-version={v.version}
      data-stage={v.stage}
    >
      <CardBody className="space-y-3">
        <div className="flex items-start justify-between gap-2">
          <div>
            <div className="font-mono text-base font-semibold">{v.version}</div>
            <div className="text-xs text-muted-foreground">
              registered {formatDateTime(v.createdAt)}
              {v.createdBy ? ` by ${v.createdBy}` : ''}
            </div>
          </div>
          <StatusBadge status={v.stage} />
        </div>
        {card?.description && <p className="text-sm text-foreground/80">{card.description}</p>}
        <table className="w-full text-sm tabular-nums">
          <thead>
            <tr className="text-xs text-muted-foreground">
              <th className="text-left font-medium" />
              <th className="text-right font-medium">RMSE</th>
              <th className="text-right font-medium">MAE</th>
              <th className="text-right font-medium">rows</th>
            </tr>
          </thead>
          <tbody>
            <tr>
              <td className="text-muted-foreground">train</td>
              <td className="text-right">{fmt(train?.rmse)}</td>
              <td className="text-right">{fmt(train?.mae)}</td>
              <td className="text-right">{formatCount(train?.rows)}</td>
            </tr>
            <tr>
              <td className="text-muted-foreground">validation</td>
              <td className="text-right font-semibold">{fmt(validation?.rmse)}</td>
              <td className="text-right">{fmt(validation?.mae)}</td>
              <td className="text-right">{formatCount(validation?.rows)}</td>
            </tr>
          </tbody>
        </table>
        <dl className="grid grid-cols-[6rem_1fr] gap-y-1 text-xs">
          <dt className="text-muted-foreground">algorithm</dt>
          <dd>{card?.training?.algorithm ?? '—'}</dd>
          <dt className="text-muted-foreground">features</dt>
          <dd>
            {card?.training?.features.join(', ') ??
              card?.inputs.map((i) => i.feature).join(', ') ??
              '—'}
          </dd>
          <dt className="text-muted-foreground">trained on</dt>
          <dd className="break-all">
            {card?.training?.trainData.map((d) => d.uri.split('/').pop()).join(', ') ?? '—'}
            {card?.training?.trainData.some((d) => d.isSynthetic) && ' (synthetic)'}
          </dd>
          <dt className="text-muted-foreground">sha256</dt>
          <dd className="font-mono" title={v.sha256}>
            {v.sha256.slice(0, 16)}…
          </dd>
          {v.promotedAt && (
            <>
              <dt className="text-muted-foreground" data-testid="promoted-via">
                {v.promotedVia === 'rollback' ? 'rolled back' : 'promoted'}
              </dt>
              <dd>
                {formatRelative(v.promotedAt)}
                {v.promotedBy ? ` by ${v.promotedBy}` : ''}
              </dd>
            </>
          )}
        </dl>
        {canManage && (
          <div className="flex gap-2 pt-1">
            {isProduction ? (
              rollbackTarget && (
                <Button variant="secondary" size="sm" onClick={onRollback}>
                  Roll back…
                </Button>
              )
            ) : (
              <Button size="sm" onClick={onPromote} aria-label={`Promote ${v.version}`}>
                Promote…
              </Button>
            )}
          </div>
        )}
      </CardBody>
    </Card>
  );
}

function RegisterForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const formRef = useRef<HTMLFormElement>(null);
  const register = useMutation(
    trpc.models.register.mutationOptions({
      onSuccess: async () => {
        formRef.current?.reset();
        await queryClient.invalidateQueries({ queryKey: trpc.models.list.queryKey() });
      },
    }),
  );
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    register.mutate(new FormData(e.currentTarget));
  };
  const fieldErrors = (
    register.error?.data as { fieldErrors?: Record<string, string[] | undefined> } | undefined
  )?.fieldErrors;
  return (
    <Card>
      <CardHeader
        title="Register a version"
        description="Upload model.onnx and its card.json. The model is loaded and test-scored before it is accepted; it starts as a candidate."
      />
      <CardBody>
        <form
          ref={formRef}
          onSubmit={submit}
          className="grid grid-cols-[1fr_1fr_auto] items-end gap-3"
          aria-label="Register a model version"
        >
          <Field id="reg-onnx" label="model.onnx" error={fieldErrors?.onnx?.[0]}>
            <Input
              id="reg-onnx"
              name="onnx"
              type="file"
              accept=".onnx,application/octet-stream"
              required
              className="py-1.5"
            />
          </Field>
          <Field id="reg-card" label="card.json" error={fieldErrors?.card?.[0]}>
            <Input
              id="reg-card"
              name="card"
              type="file"
              accept=".json,application/json"
              required
              className="py-1.5"
            />
          </Field>
          <Button type="submit" isLoading={register.isPending}>
            Register
          </Button>
        </form>
        {register.isError && !fieldErrors && (
          <p role="alert" className="mt-2 text-sm text-danger">
            {register.error.message}
          </p>
        )}
        {register.isSuccess && (
          <p role="status" className="mt-2 text-sm text-success">
            Registered {register.data.version} (test scores:{' '}
            {register.data.probe.map((m) => m.toFixed(1)).join(', ')} min).
          </p>
        )}
      </CardBody>
    </Card>
  );
}

export function ModelsView() {
  const trpc = useTRPC();
  // `?compare=<version>&month=<taxi:YYYY-MM>`: the Training page's link to weigh a new version.
  const searchParams = useSearchParams();
  const compareLink = { version: searchParams.get('compare'), month: searchParams.get('month') };
  const canManage = useHasRole('admin');
  // Comparing scores a month on the server: analysts and admins (models.compare).
  const canCompare = useHasRole('analyst');
  const queryClient = useQueryClient();
  const models = useQuery(trpc.models.list.queryOptions());
  const [pending, setPending] = useState<TPending>(null);
  const onDone = async () => {
    setPending(null);
    await queryClient.invalidateQueries({ queryKey: trpc.models.list.queryKey() });
    await queryClient.invalidateQueries({ queryKey: trpc.overview.get.queryKey() });
  };
  const promote = useMutation(trpc.models.promote.mutationOptions({ onSuccess: onDone }));
  const rollback = useMutation(trpc.models.rollback.mutationOptions({ onSuccess: onDone }));
  const production = models.data?.versions.find((v) => v.stage === 'production');
  const actionError = promote.error ?? rollback.error;

  return (
    <>
      <PageHeader
        title="Models"
        description={
          <>
            Versions of <span className="font-mono">{models.data?.name ?? '…'}</span>. The
            production version serves online, stream and new batch runs within seconds of a
            promotion.
          </>
        }
      />
      {actionError && (
        <div className="mb-4">
          <ErrorState error={actionError} />
        </div>
      )}
      {models.data && models.data.versions.length > 0 && (
        <ChallengersPanel
          canManage={canManage}
          candidates={models.data.versions
            .filter((v) => v.stage === 'candidate' || v.stage === 'archived')
            .map((v) => v.version)}
        />
      )}
      {canCompare && models.data && models.data.versions.length > 0 && (
        <ComparePanel
          versions={models.data.versions.map(({ version, stage }) => ({ version, stage }))}
          initial={compareLink}
        />
      )}
      {models.isPending ? (
        <LoadingRows rows={6} />
      ) : models.isError ? (
        <ErrorState error={models.error} onRetry={() => void models.refetch()} />
      ) : models.data.versions.length === 0 ? (
        <EmptyState title="No model registered yet">
          The local stack trains and registers a default model on first start (
          <code>npm start</code>). You can also register one below, or with{' '}
          <code>npm run train -w @tripcast/model</code>.
        </EmptyState>
      ) : (
        <div className="grid grid-cols-1 gap-4 md:grid-cols-2 xl:grid-cols-3">
          {[...models.data.versions]
            .sort((a, b) => Number(b.stage === 'production') - Number(a.stage === 'production'))
            .map((v) => (
              <VersionCard
                key={v.id}
                v={v}
                canManage={canManage}
                rollbackTarget={models.data.rollbackTarget}
                onPromote={() => setPending({ kind: 'promote', version: v.version })}
                onRollback={() =>
                  models.data.rollbackTarget &&
                  setPending({ kind: 'rollback', toVersion: models.data.rollbackTarget })
                }
              />
            ))}
        </div>
      )}
      {canManage && (
        <div className="mt-6">
          <RegisterForm />
        </div>
      )}
      <ConfirmDialog
        open={pending?.kind === 'promote'}
        title={pending?.kind === 'promote' ? `Promote ${pending.version} to production?` : ''}
        confirmLabel="Promote"
        isPending={promote.isPending}
        onCancel={() => setPending(null)}
        onConfirm={() =>
          pending?.kind === 'promote' && promote.mutate({ version: pending.version })
        }
      >
        Online, stream and new batch predictions will use it within seconds.
        {production && (
          <>
            {' '}
            <span className="font-mono">{production.version}</span> is archived and can be restored
            with Roll back.
          </>
        )}
      </ConfirmDialog>
      <ConfirmDialog
        open={pending?.kind === 'rollback'}
        title={pending?.kind === 'rollback' ? `Roll back to ${pending.toVersion}?` : ''}
        confirmLabel={
          pending?.kind === 'rollback' ? `Roll back to ${pending.toVersion}` : 'Roll back'
        }
        tone="danger"
        isPending={rollback.isPending}
        onCancel={() => setPending(null)}
        onConfirm={() =>
          pending?.kind === 'rollback' && rollback.mutate({ toVersion: pending.toVersion })
        }
      >
        <span className="font-mono">{pending?.kind === 'rollback' ? pending.toVersion : ''}</span>,
        the version in production before <span className="font-mono">{production?.version}</span>,
        serves online, stream and new batch predictions again within seconds;{' '}
        <span className="font-mono">{production?.version}</span> is archived.
      </ConfirmDialog>
    </>
  );
}
