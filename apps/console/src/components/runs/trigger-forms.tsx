'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { Button } from '~/components/ui/button';
import { Card, CardBody, CardHeader } from '~/components/ui/card';
import { Field, Input, Select } from '~/components/ui/form';
import { useTRPC } from '~/trpc/react';

const TAXI_TYPES = ['green', 'yellow', 'fhv'] as const;
type TTaxi = (typeof TAXI_TYPES)[number];

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
      {TAXI_TYPES.map((t) => (
        <option key={t} value={t}>
          {t}
        </option>
      ))}
    </Select>
  );
}

export function TriggerRunForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const [taxiType, setTaxiType] = useState<TTaxi>('green');
  const [month, setMonth] = useState('2021-01');
  const trigger = useMutation(
    trpc.runs.trigger.mutationOptions({
      onSuccess: async ({ runId }) => {
        await queryClient.invalidateQueries({ queryKey: trpc.runs.list.queryKey() });
        router.push(`/runs/${runId}`);
      },
    }),
  );
  const parsed = parseMonthValue(month);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (parsed) trigger.mutate({ taxiType, ...parsed });
  };
  return (
    <Card>
      <CardHeader
        title="Score a month"
        description="Runs the batch scorer on one month of TLC trips."
      />
      <CardBody>
        <form
          onSubmit={submit}
          className="grid grid-cols-[8rem_14rem_auto] items-end justify-start gap-3"
          aria-label="Score a month"
        >
          <Field id="run-taxi" label="Taxi type">
            <TaxiSelect id="run-taxi" value={taxiType} onChange={setTaxiType} />
          </Field>
          <Field id="run-month" label="Month" error={parsed ? null : 'Enter a month as YYYY-MM'}>
            <Input
              id="run-month"
              type="month"
              value={month}
              required
              onChange={(e) => setMonth(e.target.value)}
              aria-invalid={!parsed || undefined}
            />
          </Field>
          <Button type="submit" isLoading={trigger.isPending} disabled={!parsed}>
            Start run
          </Button>
        </form>
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
