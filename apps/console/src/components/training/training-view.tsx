'use client';

// Training from the console: pick training months and a validation month from the store, a
// recipe and its hyper-parameters, start a job (training.start), then watch it (training.get,
// polled while it runs): phase, progress, the log tail, and the resulting card with its
// validation metrics and a link to compare it with production on the Models page.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { ZModelCard, type TModelCard } from '@tripcast/model';
import { PageHeader } from '~/components/page-header';
import {
  pickStoreMonth,
  StoreMonthSelect,
  storeMonthKey,
  type TStoreMonth,
} from '~/components/runs/store-month-select';
import { StatusBadge } from '~/components/ui/badge';
import { Button } from '~/components/ui/button';
import { Card, CardBody, CardHeader, Stat } from '~/components/ui/card';
import { Field, Input, Select } from '~/components/ui/form';
import { Progress } from '~/components/ui/progress';
import { EmptyState, ErrorState, LoadingRows } from '~/components/ui/states';
import { Table, Td, Th } from '~/components/ui/table';
import { formatCount, formatDateTime, formatDuration, formatRelative } from '~/lib/format';
import type { RouterInputs, RouterOutputs } from '~/server/api/root';
import { useTRPC } from '~/trpc/react';

type TRecipes = RouterOutputs['training']['recipes'];
type TZonesDefaults = Extract<TRecipes['recipes'][number], { recipe: 'zones' }>['defaults'];
type TStartInput = RouterInputs['training']['start'];
type TJob = RouterOutputs['training']['get'];
type TIssue = { path: string; message: string };

const isActive = (status: string) => status === 'queued' || status === 'running';

/** What each zones hyper-parameter means, for its field's hint. */
const ZONES_FIELDS: {
  key: Exclude<keyof TZonesDefaults, 'useTime' | 'knots'>;
  label: string;
  hint: string;
}[] = [
  { key: 'distanceClip', label: 'Distance clip (mi)', hint: 'longer trips count as this long' },
  { key: 'minSlope', label: 'Min slope (min/mi)', hint: 'predictions grow with distance' },
  { key: 'sweeps', label: 'Sweeps', hint: 'backfitting passes' },
  { key: 'lambdaPair', label: 'λ pair', hint: 'shrinks a pair towards its zones' },
  { key: 'lambdaZone', label: 'λ zone', hint: 'pickup and dropoff levels' },
  { key: 'lambdaBoroughPair', label: 'λ borough pair', hint: 'borough-pair level' },
  { key: 'lambdaZoneSlope', label: 'λ zone slope', hint: 'per-zone minutes per mile' },
  { key: 'lambdaBoroughPairSlope', label: 'λ borough-pair slope', hint: 'per borough pair' },
  { key: 'lambdaHour', label: 'λ hour', hint: 'hour-of-week level' },
  { key: 'lambdaHourSlope', label: 'λ hour slope', hint: 'hour-of-week minutes per mile' },
  {
    key: 'lambdaBoroughPairBand',
    label: 'λ borough pair × band',
    hint: '3-hour bands of the week',
  },
];

function readCard(card: unknown): TModelCard | null {
  const parsed = ZModelCard.safeParse(card);
  return parsed.success ? parsed.data : null;
}

/** `green 2021-03` (a job's month label) as the store-month key the Models page link takes. */
const monthKeyOfLabel = (label: string) => label.replace(' ', ':');

/** The error formatter's issues (full paths such as `recipe.params.lambdaPair`), when it sent them. */
function issuesOf(error: unknown): TIssue[] {
  const data = (error as { data?: { issues?: TIssue[] | null } } | null)?.data;
  return data?.issues ?? [];
}

export function TrainingView() {
  const trpc = useTRPC();
  const searchParams = useSearchParams();
  const pathname = usePathname();
  const router = useRouter();
  const selectedJob = searchParams.get('job');
  const jobs = useQuery({
    ...trpc.training.list.queryOptions(),
    refetchInterval: (query) =>
      query.state.data?.items.some((job) => isActive(job.status)) ? 1_500 : false,
  });
  const select = (id: string) => router.push(`${pathname}?job=${encodeURIComponent(id)}`);
  return (
    <>
      <PageHeader
        title="Training"
        description="Train a model on months of the store's trip data. The new version is registered as a candidate: compare it with production on the Models page before anyone promotes it."
      />
      <div className="space-y-6">
        <TrainForm onStarted={select} />
        {selectedJob && <JobDetail id={selectedJob} />}
        <Card>
          <CardHeader title="Training jobs" description="Newest first; live while a job runs." />
          <CardBody>
            {jobs.isPending ? (
              <LoadingRows rows={3} />
            ) : jobs.isError ? (
              <ErrorState error={jobs.error} onRetry={() => void jobs.refetch()} />
            ) : jobs.data.items.length === 0 ? (
              <EmptyState title="No training jobs yet">
                Pick training months and a recipe above and start one; its progress, log and the
                resulting model card show here.
              </EmptyState>
            ) : (
              <Table className="table-fixed" data-testid="training-jobs">
                <thead>
                  <tr>
                    <Th className="w-24">started</Th>
                    <Th>training months</Th>
                    <Th className="w-28">validation</Th>
                    <Th className="w-20">recipe</Th>
                    <Th className="w-36">status</Th>
                    <Th className="w-52">version</Th>
                    <Th className="w-40">by</Th>
                  </tr>
                </thead>
                <tbody>
                  {jobs.data.items.map((job) => (
                    <tr
                      key={job.id}
                      className={`cursor-pointer hover:bg-muted ${job.id === selectedJob ? 'bg-accent' : ''}`}
                      onClick={() => select(job.id)}
                      data-testid="training-job-row"
                    >
                      <Td title={formatDateTime(job.createdAt)}>
                        <button
                          type="button"
                          className="text-primary underline"
                          onClick={() => select(job.id)}
                        >
                          {formatRelative(job.createdAt)}
                        </button>
                      </Td>
                      <Td className="truncate" title={job.trainMonths.join(', ')}>
                        {job.trainMonths.join(', ')}
                      </Td>
                      <Td>{job.validationMonth ?? '—'}</Td>
                      <Td>{job.recipe}</Td>
                      <Td>
                        <span className="flex items-center gap-2">
                          <StatusBadge status={job.status} />
                          {isActive(job.status) && (
                            <span className="truncate text-xs text-muted-foreground">
                              {job.phase ?? 'starting'}
                            </span>
                          )}
                        </span>
                      </Td>
                      <Td
                        className="truncate font-mono text-xs"
                        title={job.modelVersion ?? undefined}
                      >
                        {job.modelVersion ?? '—'}
                      </Td>
                      <Td className="truncate" title={job.requestedBy}>
                        {job.requestedBy}
                      </Td>
                    </tr>
                  ))}
                </tbody>
              </Table>
            )}
          </CardBody>
        </Card>
      </div>
    </>
  );
}

function TrainForm({ onStarted }: { onStarted: (jobId: string) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const months = useQuery(trpc.runs.months.queryOptions());
  const recipes = useQuery(trpc.training.recipes.queryOptions());
  const available = months.data?.months ?? [];
  // Choices by store-month key; null = not chosen yet (the defaults below apply).
  const [trainKeys, setTrainKeys] = useState<(string | null)[] | null>(null);
  const [validationKey, setValidationKey] = useState<string | null>(null);
  const [hasValidation, setHasValidation] = useState(true);
  const [recipe, setRecipe] = useState<'zones' | 'course'>('zones');
  const [zones, setZones] = useState<Record<string, string>>({});
  const [solver, setSolver] = useState<string | null>(null);
  const start = useMutation(
    trpc.training.start.mutationOptions({
      onSuccess: async ({ jobId }) => {
        await queryClient.invalidateQueries({ queryKey: trpc.training.list.queryKey() });
        onStarted(jobId);
      },
    }),
  );

  // Defaults (months are newest first): the second newest trains and the newest validates, as in
  // the shared split (train green 2021-01, validate green 2021-03) when the store has two.
  const defaultTrain = available.length > 1 ? available[1] : available[0];
  const trainMonths: TStoreMonth[] = (trainKeys ?? [null]).flatMap((key) => {
    const m = key === null ? defaultTrain : pickStoreMonth(available, key);
    return m ? [m] : [];
  });
  const chosenTrainKeys = trainMonths.map(storeMonthKey);
  const defaultValidation = available.find((m) => !chosenTrainKeys.includes(storeMonthKey(m)));
  const validationMonth =
    validationKey === null ? defaultValidation : pickStoreMonth(available, validationKey);
  const zonesDefaults = recipes.data?.recipes.find((r) => r.recipe === 'zones')?.defaults;
  const issues = issuesOf(start.error);
  const issueAt = (path: string) =>
    issues.find((i) => i.path === path || i.path.startsWith(`${path}.`))?.message;

  /** Only what differs from the defaults goes to the job (its record says what was overridden). */
  const buildParams = (): Record<string, unknown> => {
    const params: Record<string, unknown> = {};
    for (const [key, raw] of Object.entries(zones)) {
      if (key === 'useTime') params.useTime = raw === 'true';
      else if (key === 'knots')
        params.knots = raw
          .split(',')
          .map((k) => k.trim())
          .filter(Boolean)
          .map(Number);
      // A field left empty or not a number goes as typed: the server names the field it refuses.
      else params[key] = raw.trim() === '' || Number.isNaN(Number(raw)) ? raw : Number(raw);
    }
    return params;
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const input = {
      trainMonths: trainMonths.map(({ taxiType, year, month }) => ({ taxiType, year, month })),
      ...(hasValidation && validationMonth
        ? {
            validationMonth: {
              taxiType: validationMonth.taxiType,
              year: validationMonth.year,
              month: validationMonth.month,
            },
          }
        : {}),
      recipe:
        recipe === 'zones'
          ? { recipe: 'zones' as const, params: buildParams() }
          : { recipe: 'course' as const, params: solver ? { solver } : {} },
    };
    // The server validates every field (and names the one it refuses): send it as typed.
    start.mutate(input as TStartInput);
  };
  const setTrainKey = (index: number, key: string) =>
    setTrainKeys(chosenTrainKeys.map((k, i) => (i === index ? key : k)));
  const maxMonths = recipes.data?.maxTrainMonths ?? 12;

  if (months.isError) return <ErrorState error={months.error} />;
  return (
    <Card>
      <CardHeader
        title="Train a model"
        description="Reads the months from the store, fits the recipe, validates on the validation month, exports ONNX and registers the version as a candidate."
      />
      <CardBody>
        {months.data && available.length === 0 ? (
          <p className="text-sm text-muted-foreground">
            No trip data in the store yet: upload a TLC month below, or put one such as{' '}
            <code>green_tripdata_2021-01.parquet</code> in{' '}
            <code className="break-all">{months.data.tripData}</code>.
          </p>
        ) : (
          <form onSubmit={submit} className="space-y-4" aria-label="Train a model">
            <div className="flex flex-wrap items-end gap-4">
              {trainMonths.map((m, i) => (
                <div key={i} className="flex items-end gap-1">
                  <StoreMonthSelect
                    id={`train-month-${i}`}
                    label={i === 0 ? 'Training month' : `Training month ${i + 1}`}
                    className="w-44"
                    months={available}
                    chosen={m}
                    disabled={!months.data}
                    onChange={(key) => setTrainKey(i, key)}
                  />
                  {i > 0 && (
                    <Button
                      variant="ghost"
                      size="sm"
                      aria-label={`Remove training month ${i + 1}`}
                      onClick={() => setTrainKeys(chosenTrainKeys.filter((_, j) => j !== i))}
                    >
                      ×
                    </Button>
                  )}
                </div>
              ))}
              <Button
                variant="secondary"
                size="sm"
                disabled={trainMonths.length >= Math.min(maxMonths, available.length)}
                onClick={() => {
                  const unused = available.find((m) => !chosenTrainKeys.includes(storeMonthKey(m)));
                  if (unused) setTrainKeys([...chosenTrainKeys, storeMonthKey(unused)]);
                }}
              >
                Add a training month
              </Button>
              <div className="flex items-end gap-2">
                <label className="mb-2 flex items-center gap-1.5 text-sm">
                  <input
                    type="checkbox"
                    checked={hasValidation}
                    onChange={(e) => setHasValidation(e.target.checked)}
                  />
                  validate on
                </label>
                <StoreMonthSelect
                  id="validation-month"
                  label="Validation month"
                  className="w-44"
                  months={available}
                  chosen={validationMonth}
                  disabled={!months.data || !hasValidation}
                  onChange={setValidationKey}
                />
              </div>
            </div>
            {(issueAt('trainMonths') ?? issueAt('validationMonth')) && (
              <p role="alert" className="text-sm text-danger">
                {issueAt('trainMonths') ?? issueAt('validationMonth')}
              </p>
            )}
            <div className="flex flex-wrap items-end gap-4">
              <Field id="training-recipe" label="Recipe">
                <Select
                  id="training-recipe"
                  className="w-[30rem]"
                  value={recipe}
                  onChange={(e) => setRecipe(e.target.value as 'zones' | 'course')}
                >
                  {(recipes.data?.recipes ?? []).map((r) => (
                    <option key={r.recipe} value={r.recipe}>
                      {r.label}
                    </option>
                  ))}
                </Select>
              </Field>
              {recipe === 'course' && (
                <Field
                  id="param-solver"
                  label="Solver"
                  hint="sklearn: what the course's LinearRegression returns; exact: exact least squares"
                  error={issueAt('recipe.params.solver')}
                >
                  <Select
                    id="param-solver"
                    className="w-40"
                    value={solver ?? recipes.data?.solvers[0] ?? 'sklearn'}
                    onChange={(e) => setSolver(e.target.value)}
                  >
                    {(recipes.data?.solvers ?? []).map((s) => (
                      <option key={s} value={s}>
                        {s}
                      </option>
                    ))}
                  </Select>
                </Field>
              )}
              {recipe === 'zones' && zonesDefaults && (
                <label className="mb-2 flex items-center gap-1.5 text-sm">
                  <input
                    id="param-useTime"
                    type="checkbox"
                    checked={(zones.useTime ?? String(zonesDefaults.useTime)) === 'true'}
                    onChange={(e) => setZones({ ...zones, useTime: String(e.target.checked) })}
                  />
                  use pickup time (hour of week)
                </label>
              )}
            </div>
            {recipe === 'zones' && zonesDefaults && (
              <fieldset className="grid grid-cols-4 gap-x-4 gap-y-3" data-testid="zones-params">
                <legend className="mb-2 text-sm font-medium">
                  Hyper-parameters (defaults filled in)
                </legend>
                <Field
                  id="param-knots"
                  label="Knots (mi)"
                  hint="hinges of the distance curve, increasing"
                  error={issueAt('recipe.params.knots')}
                >
                  <Input
                    id="param-knots"
                    value={zones.knots ?? zonesDefaults.knots.join(', ')}
                    aria-invalid={Boolean(issueAt('recipe.params.knots'))}
                    onChange={(e) => setZones({ ...zones, knots: e.target.value })}
                  />
                </Field>
                {ZONES_FIELDS.map((f) => {
                  const error = issueAt(`recipe.params.${f.key}`);
                  return (
                    <Field
                      key={f.key}
                      id={`param-${f.key}`}
                      label={f.label}
                      hint={f.hint}
                      error={error}
                    >
                      <Input
                        id={`param-${f.key}`}
                        inputMode="decimal"
                        value={zones[f.key] ?? String(zonesDefaults[f.key])}
                        aria-invalid={Boolean(error)}
                        onChange={(e) => setZones({ ...zones, [f.key]: e.target.value })}
                      />
                    </Field>
                  );
                })}
              </fieldset>
            )}
            <div className="flex items-center gap-3">
              <Button
                type="submit"
                isLoading={start.isPending}
                disabled={!months.data || trainMonths.length === 0}
              >
                Start training
              </Button>
              {recipe === 'zones' && Object.keys(zones).length > 0 && (
                <Button variant="ghost" size="sm" onClick={() => setZones({})}>
                  Reset to defaults
                </Button>
              )}
            </div>
            {start.isError && issues.length === 0 && <ErrorState error={start.error} />}
          </form>
        )}
        <UploadMonthForm />
      </CardBody>
    </Card>
  );
}

/** Or upload a month: a TLC file into the store's trip-data (training.uploadMonth). */
function UploadMonthForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const upload = useMutation(
    trpc.training.uploadMonth.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.runs.months.queryKey() }),
    }),
  );
  const fieldError = issuesOf(upload.error).find((i) => i.path === 'month')?.message;
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    upload.mutate(new FormData(e.currentTarget));
  };
  return (
    <form
      onSubmit={submit}
      className="mt-5 flex flex-wrap items-end gap-3 border-t border-border pt-4"
      aria-label="Upload a month"
    >
      <Field
        id="upload-month"
        label="Or upload a month to the store"
        hint="A TLC file named as the TLC names it: green_tripdata_2021-01.parquet (or .csv, .csv.gz)"
        error={fieldError ?? (upload.isError ? upload.error.message : null)}
      >
        <Input
          id="upload-month"
          name="month"
          type="file"
          accept=".parquet,.csv,.gz"
          className="w-96 py-1.5"
        />
      </Field>
      <Button type="submit" variant="secondary" isLoading={upload.isPending} className="mb-5">
        Upload
      </Button>
      {upload.isSuccess && (
        <p className="mb-6 text-sm text-success" role="status" data-testid="upload-month-done">
          Added {upload.data.taxiType} {upload.data.year}-
          {String(upload.data.month).padStart(2, '0')} to the store.
        </p>
      )}
    </form>
  );
}

function JobDetail({ id }: { id: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const job = useQuery({
    ...trpc.training.get.queryOptions({ id }),
    refetchInterval: (query) =>
      query.state.data && !isActive(query.state.data.status) ? false : 1_000,
  });
  // The list polls on its own rhythm: refresh it as soon as this job ends.
  const status = job.data?.status;
  useEffect(() => {
    if (status && !isActive(status))
      void queryClient.invalidateQueries({ queryKey: trpc.training.list.queryKey() });
  }, [status, queryClient, trpc]);
  if (job.isPending) return <LoadingRows rows={4} />;
  if (job.isError) return <ErrorState error={job.error} />;
  return <JobPanel job={job.data} />;
}

/** The phase as a user reads it: done, where it stopped, or what it is doing now. */
function describePhase(job: Pick<TJob, 'status' | 'phase'>): string {
  if (job.status === 'succeeded') return 'done';
  if (job.status === 'failed') return job.phase ? `failed while ${job.phase}` : 'failed';
  return job.phase ?? 'waiting to start';
}

function JobPanel({ job }: { job: TJob }) {
  const logRef = useRef<HTMLPreElement>(null);
  // Follow the log as it grows.
  useEffect(() => {
    if (logRef.current) logRef.current.scrollTop = logRef.current.scrollHeight;
  }, [job.logTail]);
  const card = readCard(job.card);
  const elapsedMs = job.startedAt
    ? (job.finishedAt ? new Date(job.finishedAt).getTime() : Date.now()) -
      new Date(job.startedAt).getTime()
    : null;
  return (
    <Card data-testid="training-job" data-status={job.status}>
      <CardHeader
        title={
          <span className="flex items-center gap-2">
            Training job <span className="font-mono text-xs">{job.id.slice(0, 8)}</span>
            <StatusBadge status={job.status} />
          </span>
        }
        description={`${job.recipe} on ${job.trainMonths.join(', ')}${job.validationMonth ? `, validated on ${job.validationMonth}` : ''} · started by ${job.requestedBy} ${formatRelative(job.createdAt)}`}
      />
      <CardBody className="space-y-4">
        <div className="grid grid-cols-4 gap-4">
          <Stat
            label="phase"
            value={<span data-testid="training-phase">{describePhase(job)}</span>}
          />
          <Stat label="rows read" value={formatCount(job.rowsRead)} />
          <Stat label="elapsed" value={elapsedMs === null ? '—' : formatDuration(elapsedMs)} />
          <Stat
            label="parameters"
            value={
              <span className="text-xs font-normal break-all">
                {Object.keys(job.params as object).length === 0
                  ? 'defaults'
                  : JSON.stringify(job.params)}
              </span>
            }
          />
        </div>
        <Progress
          value={job.progress}
          label="Training progress"
          tone={
            job.status === 'failed' ? 'danger' : job.status === 'succeeded' ? 'success' : 'primary'
          }
        />
        {job.error && (
          <p role="alert" className="text-sm text-danger" data-testid="training-error">
            {job.error}
          </p>
        )}
        {card && job.modelVersion && (
          <ResultCard
            card={card}
            version={job.modelVersion}
            validationMonth={job.validationMonth}
          />
        )}
        <div>
          <h3 className="mb-1 text-xs font-medium text-muted-foreground">Log (last lines)</h3>
          <pre
            ref={logRef}
            className="max-h-64 overflow-auto rounded-md bg-muted px-3 py-2 font-mono text-xs whitespace-pre-wrap"
            data-testid="training-log"
          >
            {job.logTail ||
              (isActive(job.status) ? 'Waiting for the training process…' : 'No output.')}
          </pre>
        </div>
      </CardBody>
    </Card>
  );
}

function ResultCard({
  card,
  version,
  validationMonth,
}: {
  card: TModelCard;
  version: string;
  validationMonth: string | null;
}) {
  const validation = card.metrics.validation;
  const detail = card.metrics.validationDetail;
  const compareHref = `/models?compare=${encodeURIComponent(version)}${validationMonth ? `&month=${encodeURIComponent(monthKeyOfLabel(validationMonth))}` : ''}#compare`;
  return (
    <div
      className="rounded-lg border border-success/40 bg-success/5 p-4"
      data-testid="training-result"
    >
      <div className="mb-3 flex flex-wrap items-center justify-between gap-2">
        <div>
          <div className="text-xs text-muted-foreground">registered as a candidate</div>
          <div className="font-mono text-base font-semibold" data-testid="training-version">
            {version}
          </div>
        </div>
        <Link
          href={compareHref}
          className="text-sm font-medium text-primary underline"
          data-testid="compare-with-production"
        >
          Compare with production →
        </Link>
      </div>
      <div className="grid grid-cols-5 gap-4">
        <Stat
          label="validation RMSE"
          value={
            <span data-testid="training-rmse">{validation ? validation.rmse.toFixed(3) : '—'}</span>
          }
          hint="minutes"
        />
        <Stat label="MAE" value={validation?.mae?.toFixed(3) ?? '—'} hint="minutes" />
        <Stat
          label="bias"
          value={detail ? detail.bias.toFixed(3) : '—'}
          hint="predicted − actual"
        />
        <Stat
          label="validation trips"
          value={formatCount(validation?.rows)}
          hint={
            validation?.unseenPairShare == null
              ? undefined
              : `${(validation.unseenPairShare * 100).toFixed(1)}% unseen pairs`
          }
        />
        <Stat
          label="train RMSE"
          value={card.metrics.train?.rmse.toFixed(3) ?? '—'}
          hint={
            card.training?.trainSeconds == null
              ? undefined
              : `fit in ${card.training.trainSeconds.toFixed(1)} s`
          }
        />
      </div>
      {detail && detail.byDistance.length > 0 && (
        <Table className="mt-3 table-fixed">
          <thead>
            <tr>
              <Th>distance</Th>
              <Th className="text-right">trips</Th>
              <Th className="text-right">RMSE</Th>
              <Th className="text-right">MAE</Th>
              <Th className="text-right">bias</Th>
            </tr>
          </thead>
          <tbody>
            {detail.byDistance.map((b) => (
              <tr key={b.band}>
                <Td>{b.band}</Td>
                <Td className="text-right">{formatCount(b.rows)}</Td>
                <Td className="text-right">{b.rmse.toFixed(3)}</Td>
                <Td className="text-right">{b.mae.toFixed(3)}</Td>
                <Td className="text-right">{b.bias.toFixed(3)}</Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </div>
  );
}
