'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { ZRide } from '@tripcast/model';
import { PageHeader } from '~/components/page-header';
import { useZoneIndex, ZoneLabel, ZonePicker } from '~/components/zones';
import { Button } from '~/components/ui/button';
import { Card, CardBody, CardHeader } from '~/components/ui/card';
import { Field, Input } from '~/components/ui/form';
import { EmptyState, ErrorState, LoadingRows } from '~/components/ui/states';
import { Table, Td, Th } from '~/components/ui/table';
import { formatDateTime, formatMinutes, formatMs } from '~/lib/format';
import { useTRPC } from '~/trpc/react';

/** trip_distance as the API validates it (`ZRide` of @tripcast/model: bounds, messages, description). */
const ZTripDistance = ZRide.shape.trip_distance;

export function PredictView() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const zones = useZoneIndex();
  const [pickup, setPickup] = useState<number | null>(null);
  const [dropoff, setDropoff] = useState<number | null>(null);
  const [distance, setDistance] = useState('2.5');
  const predict = useMutation(
    trpc.predictions.predict.mutationOptions({
      onSuccess: () =>
        queryClient.invalidateQueries({ queryKey: trpc.predictions.recent.queryKey() }),
    }),
  );
  const recent = useQuery({
    ...trpc.predictions.recent.queryOptions({ limit: 10 }),
    refetchInterval: 10_000,
  });

  const distanceValue = Number(distance);
  // The API's own rule (the shared schema), so the form can never accept less or more than the API.
  const distanceCheck = ZTripDistance.safeParse(distanceValue);
  const distanceError =
    distance.trim() === ''
      ? 'Enter the distance in miles'
      : distanceCheck.success
        ? null
        : (distanceCheck.error.issues[0]?.message ?? 'Not a valid distance');
  const isReady = pickup != null && dropoff != null && !distanceError;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (isReady)
      predict.mutate({ PULocationID: pickup, DOLocationID: dropoff, trip_distance: distanceValue });
  };
  const serverFieldErrors = (
    predict.error?.data as { fieldErrors?: Record<string, string[] | undefined> } | undefined
  )?.fieldErrors;

  return (
    <>
      <PageHeader
        title="Live prediction"
        description={
          zones.zones
            ? 'Pick the pickup and dropoff zones by borough and zone, enter the distance, and get the predicted trip duration.'
            : 'No TLC zone table is configured (ZONE_LOOKUP_PATH), so zones are entered by LocationID.'
        }
      />
      <div className="grid grid-cols-1 gap-4 lg:grid-cols-[3fr_2fr]">
        <Card>
          <CardHeader title="Ride" />
          <CardBody>
            {/* noValidate: the shared schema's messages show instead of the browser's silent
                step/min checks (which refused 0.05 with step 0.1 and no visible reason). */}
            <form onSubmit={submit} className="space-y-4" aria-label="Ride to predict" noValidate>
              <ZonePicker
                id="pickup-zone"
                label="Pickup"
                value={pickup}
                onChange={setPickup}
                index={zones}
              />
              <ZonePicker
                id="dropoff-zone"
                label="Dropoff"
                value={dropoff}
                onChange={setDropoff}
                index={zones}
              />
              <div className="grid grid-cols-[12rem_1fr] items-end gap-3">
                <Field
                  id="trip-distance"
                  label="Distance (miles)"
                  hint={<span data-testid="distance-rule">{ZTripDistance.description}</span>}
                  error={serverFieldErrors?.trip_distance?.[0] ?? distanceError}
                >
                  <Input
                    id="trip-distance"
                    type="number"
                    step="any"
                    inputMode="decimal"
                    value={distance}
                    aria-invalid={Boolean(distanceError) || undefined}
                    onChange={(e) => setDistance(e.target.value)}
                  />
                </Field>
                <div>
                  <Button type="submit" isLoading={predict.isPending} disabled={!isReady}>
                    Predict duration
                  </Button>
                </div>
              </div>
            </form>
          </CardBody>
        </Card>
        <Card aria-live="polite">
          <CardHeader title="Prediction" />
          <CardBody>
            {predict.isError ? (
              <ErrorState error={predict.error} />
            ) : predict.data ? (
              <div data-testid="prediction-result">
                <div
                  className="text-4xl font-semibold tracking-tight tabular-nums"
                  data-testid="predicted-minutes"
                >
                  {predict.data.durationMinutes.toFixed(1)}{' '}
                  <span className="text-xl font-normal text-muted-foreground">minutes</span>
                </div>
                <dl className="mt-4 grid grid-cols-[7rem_1fr] gap-y-1 text-sm">
                  <dt className="text-muted-foreground">Model</dt>
                  <dd className="font-mono" data-testid="prediction-model-version">
                    {predict.data.modelVersion}
                  </dd>
                  <dt className="text-muted-foreground">Latency</dt>
                  <dd data-testid="prediction-latency">{formatMs(predict.data.latencyMs)}</dd>
                  <dt className="text-muted-foreground">ride_id</dt>
                  <dd className="truncate font-mono text-xs">{predict.data.rideId}</dd>
                </dl>
              </div>
            ) : (
              <p className="text-sm text-muted-foreground">
                The predicted minutes, the model version that made them and the latency show here.
              </p>
            )}
          </CardBody>
        </Card>
      </div>

      <Card className="mt-6">
        <CardHeader
          title="Recent online predictions"
          description="From this console and the JSON API"
        />
        <CardBody>
          {recent.isPending ? (
            <LoadingRows />
          ) : recent.isError ? (
            <ErrorState error={recent.error} onRetry={() => void recent.refetch()} />
          ) : recent.data.length === 0 ? (
            <EmptyState title="No online predictions yet">
              Predict a ride above, or call POST /api/v1/predict.
            </EmptyState>
          ) : (
            <Table data-testid="recent-online">
              <thead>
                <tr>
                  <Th>When</Th>
                  <Th>From</Th>
                  <Th>To</Th>
                  <Th className="text-right">Miles</Th>
                  <Th className="text-right">Predicted</Th>
                  <Th>Model</Th>
                  <Th className="text-right">Latency</Th>
                </tr>
              </thead>
              <tbody>
                {recent.data.map((p) => (
                  <tr key={p.id}>
                    <Td className="text-muted-foreground">{formatDateTime(p.createdAt)}</Td>
                    <Td>
                      <ZoneLabel id={p.puLocationId} index={zones} />
                    </Td>
                    <Td>
                      <ZoneLabel id={p.doLocationId} index={zones} />
                    </Td>
                    <Td className="text-right">{p.tripDistance?.toFixed(1) ?? '—'}</Td>
                    <Td className="text-right font-medium">
                      {p.status === 'rejected' ? (
                        <span
                          className="ml-auto block max-w-56 truncate text-xs text-danger"
                          title={p.reason ?? undefined}
                        >
                          {p.reason}
                        </span>
                      ) : (
                        formatMinutes(p.predictedDuration)
                      )}
                    </Td>
                    <Td className="font-mono text-xs">{p.modelVersion ?? '—'}</Td>
                    <Td className="text-right">{formatMs(p.latencyMs)}</Td>
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
