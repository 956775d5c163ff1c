'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { Button } from '~/components/ui/button';
import { Card, CardBody, CardHeader } from '~/components/ui/card';
import { Field, Input, Select } from '~/components/ui/form';
import { ZTaxiType, type TTaxiType } from '@tripcast/model';
import { useTRPC } from '~/trpc/react';
import { pickStoreMonth, StoreMonthSelect } from './store-month-select';

type TTaxi = TTaxiType;

function parseMonthValue(v: string): { year: number; month: number } | null {
  const m = /^(\d{4})-(\d{2})$/.exec(v);
  return m ? { year: Number(m[1]), month: Number(m[2]) } : null;
}

function TaxiSelect({
  id,
  value,
  onChange,
}: {
  id: string;
  value: TTaxi;
  onChange: (t: TTaxi) => void;
}) {
  return (
    <Select id={id} value={value} onChange={(e) => onChange(e.target.value as TTaxi)}>
      {ZTaxiType.options.map((t) => (
        <option key={t} value={t}>
          {t}
        </option>
      ))}
    </Select>
  );
}

const VALIDATION_OPTIONS = [
  { value: 'course', label: 'Course (flag anomalies)' },
  { value: 'strict', label: 'Strict (reject anomalies)' },
] as const;
type TValidation = (typeof VALIDATION_OPTIONS)[number]['value'];

/** Offers only the months the store's trip-data holds, so a run is never started on a missing file. */
export function TriggerRunForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const months = useQuery(trpc.runs.months.queryOptions());
  const [selected, setSelected] = useState<string | null>(null);
  const [validation, setValidation] = useState<TValidation>('course');
  const trigger = useMutation(
    trpc.runs.trigger.mutationOptions({
      onSuccess: async ({ runId }) => {
        await queryClient.invalidateQueries({ queryKey: trpc.runs.list.queryKey() });
        router.push(`/runs/${runId}`);
      },
    }),
  );
  const available = months.data?.months ?? [];
  const chosen = pickStoreMonth(available, selected);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (chosen) trigger.mutate({ ...chosen, validation });
  };
  const howToAdd = months.data && (
    <>
      To add a month, put a TLC file such as <code>green_tripdata_2021-01.parquet</code> (
      <code>.csv</code> and <code>.csv.gz</code> work too) in{' '}
      <code className="break-all">{months.data.tripData}</code>.
    </>
  );
  return (
    <Card>
      <CardHeader
        title="Score a month"
        description="Runs the batch scorer on one month of TLC trips from the store."
      />
      <CardBody>
        {months.isError ? (
          <p role="alert" className="text-sm text-danger">
            Could not list the store&apos;s months: {months.error.message}
          </p>
        ) : months.data && available.length === 0 ? (
          <p className="text-sm text-muted-foreground">No trip data in the store yet. {howToAdd}</p>
        ) : (
          <form
            onSubmit={submit}
            className="grid grid-cols-[14rem_16rem_auto] items-end justify-start gap-3"
            aria-label="Score a month"
          >
            <StoreMonthSelect
              id="run-month"
              months={available}
              chosen={chosen}
              disabled={!months.data}
              onChange={setSelected}
            />
            <Field id="run-validation" label="Validation">
              <Select
                id="run-validation"
                value={validation}
                onChange={(e) => setValidation(e.target.value as TValidation)}
              >
                {VALIDATION_OPTIONS.map((o) => (
                  <option key={o.value} value={o.value}>
                    {o.label}
                  </option>
                ))}
              </Select>
            </Field>
            <Button type="submit" isLoading={trigger.isPending} disabled={!chosen}>
              Start run
            </Button>
          </form>
        )}
        {available.length > 0 && (
          <p className="mt-2 text-xs text-muted-foreground">
            Course scores every trip of 1 to 60 minutes, as the course&apos;s score.py, and flags
            zero or over-500-mile distances and pickups outside the month; strict rejects those
            rows. {howToAdd}
          </p>
        )}
        {trigger.isError && (
          <p role="alert" className="mt-2 text-sm text-danger">
            {trigger.error.message}
          </p>
        )}
      </CardBody>
    </Card>
  );
}

export function BackfillForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [taxiType, setTaxiType] = useState<TTaxi>('green');
  const [from, setFrom] = useState('2021-01');
  const [to, setTo] = useState('2021-03');
  const backfill = useMutation(
    trpc.runs.backfill.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.runs.list.queryKey() }),
    }),
  );
  const f = parseMonthValue(from);
  const t = parseMonthValue(to);
  const isOrdered = f && t && t.year * 12 + t.month >= f.year * 12 + f.month;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (f && t && isOrdered) backfill.mutate({ taxiType, from: f, to: t });
  };
  return (
    <Card>
      <CardHeader title="Backfill" description="One run per month in the range, oldest first." />
      <CardBody>
        <form
          onSubmit={submit}
          className="grid grid-cols-[8rem_14rem_14rem_auto] items-end justify-start gap-3"
          aria-label="Backfill"
        >
          <Field id="bf-taxi" label="Taxi type">
            <TaxiSelect id="bf-taxi" value={taxiType} onChange={setTaxiType} />
          </Field>
          <Field id="bf-from" label="From">
            <Input
              id="bf-from"
              type="month"
              value={from}
              required
              onChange={(e) => setFrom(e.target.value)}
            />
          </Field>
          <Field
            id="bf-to"
            label="To"
            error={f && t && !isOrdered ? 'To must not be before From' : null}
          >
            <Input
              id="bf-to"
              type="month"
              value={to}
              required
              onChange={(e) => setTo(e.target.value)}
              aria-invalid={(f && t && !isOrdered) || undefined}
            />
          </Field>
          <Button
            type="submit"
            variant="secondary"
            isLoading={backfill.isPending}
            disabled={!isOrdered}
          >
            Start backfill
          </Button>
        </form>
        {backfill.isError && (
          <p role="alert" className="mt-2 text-sm text-danger">
            {backfill.error.message}
          </p>
        )}
        {backfill.isSuccess && (
          <p role="status" className="mt-2 text-sm text-success">
            Queued {backfill.data.runIds.length} run{backfill.data.runIds.length === 1 ? '' : 's'}.
          </p>
        )}
      </CardBody>
    </Card>
  );
}
