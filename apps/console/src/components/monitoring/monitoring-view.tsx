'use client';

// The Monitoring page: is the model still good, and since when not? Error by scored month (batch
// runs know the actual durations), drift of inputs and predictions over time against the watch and
// alert thresholds (batch runs, and the daily job over online and stream predictions), a drill-down
// overlaying the training reference and the measured distributions, and the alerts.
import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { PageHeader } from '~/components/page-header';
import { Badge, type TBadgeTone } from '~/components/ui/badge';
import { Button } from '~/components/ui/button';
import { Card, CardBody, CardHeader } from '~/components/ui/card';
import { Field, Select } from '~/components/ui/form';
import { EmptyState, ErrorState, LoadingRows } from '~/components/ui/states';
import { Table, Td, Th } from '~/components/ui/table';
import { formatCount, formatPercent } from '~/lib/format';
import type { RouterOutputs } from '~/server/api/root';
import { useTRPC } from '~/trpc/react';
import { useZoneIndex } from '~/components/zones';
import { AlertList } from './alert-banner';
import {
  DistributionOverlay,
  DriftOverTimeChart,
  ErrorByMonthChart,
  overlayData,
  type TDistributionFeature,
} from './monitoring-charts';

type TOverview = RouterOutputs['monitoring']['overview'];
type TDriftPoint = TOverview['drift'][number];

export const STATUS_TONE: Record<string, TBadgeTone> = {
  ok: 'success',
  watch: 'warning',
  alert: 'danger',
  insufficient: 'neutral',
  unknown: 'neutral',
};

const MEASURES = [
  { value: 'maxPsi', label: 'Max PSI over the features' },
  { value: 'distance', label: 'PSI: trip distance' },
  { value: 'pickupZones', label: 'PSI: pickup zone mix' },
  { value: 'dropoffZones', label: 'PSI: dropoff zone mix' },
  { value: 'hourOfWeek', label: 'PSI: hour-of-week mix' },
  { value: 'prediction', label: 'PSI: predicted duration' },
  { value: 'unseenPairShare', label: 'Share of pairs never seen in training' },
] as const;
type TMeasure = (typeof MEASURES)[number]['value'];

const FEATURES: { value: TDistributionFeature; label: string }[] = [
  { value: 'distance', label: 'Trip distance' },
  { value: 'prediction', label: 'Predicted duration' },
  { value: 'pickupZones', label: 'Pickup zones (top 15)' },
  { value: 'dropoffZones', label: 'Dropoff zones (top 15)' },
  { value: 'hourOfWeek', label: 'Pickup hour of week' },
];

function measureOf(point: TDriftPoint, measure: TMeasure): number | null {
  if (measure === 'maxPsi') return point.maxPsi;
  if (measure === 'unseenPairShare') return point.unseenPairShare;
  return point.features?.[measure]?.psi ?? null;
}

/** Batch runs are charted by scored month, online and stream by day. */
const periodLabel = (point: TDriftPoint) =>
  new Date(point.periodStart).toISOString().slice(0, point.source === 'batch' ? 7 : 10);

function DriftDrillDown({ id }: { id: string }) {
  const trpc = useTRPC();
  const detail = useQuery(trpc.monitoring.driftDetail.queryOptions({ id }));
  const [feature, setFeature] = useState<TDistributionFeature>('distance');
  const zones = useZoneIndex();
  if (detail.isPending) return <LoadingRows rows={6} />;
  if (detail.isError)
    return <ErrorState error={detail.error} onRetry={() => void detail.refetch()} />;
  const d = detail.data;
  const what =
    d.source === 'batch' ? `batch run ${d.scope}` : `${d.source} predictions of ${d.scope}`;
  return (
    <Card data-testid="drift-detail">
      <CardHeader
        title={`Distributions: ${what}`}
        description={`${d.modelVersion} · ${formatCount(d.current?.rows)} rides measured against ${formatCount(d.reference?.rows)} training rows${d.referenceBasis ? ` (${d.referenceBasis})` : ''}`}
        action={
          <div className="shrink-0">
            <Field id="overlay-feature" label="Feature">
              <Select
                id="overlay-feature"
                className="w-64"
                value={feature}
                onChange={(e) => setFeature(e.target.value as TDistributionFeature)}
              >
                {FEATURES.map((f) => (
                  <option key={f.value} value={f.value}>
                    {f.label}
                  </option>
                ))}
              </Select>
            </Field>
          </div>
        }
      />
      <CardBody className="space-y-3">
        {!d.reference || !d.current ? (
          <p className="text-sm text-muted-foreground">
            {d.referenceReason ?? 'This measurement has no stored distributions.'}
          </p>
        ) : feature === 'hourOfWeek' && d.current.hourOfWeek.slice(0, 168).every((n) => n === 0) ? (
          <p className="text-sm text-muted-foreground">
            These predictions carry no pickup time (online and stream history keep none), so the
            hour-of-week mix is not measured.
          </p>
        ) : (
          <DistributionOverlay
            data={overlayData(
              feature,
              d.reference,
              d.current,
              (id) => zones.byId.get(id)?.zone ?? null,
            )}
            label={FEATURES.find((f) => f.value === feature)!.label}
          />
        )}
        {d.report && (
          <Table aria-label="Drift per feature">
            <thead>
              <tr>
                <Th>Feature</Th>
                <Th className="text-right">PSI</Th>
                <Th className="text-right">JS distance</Th>
              </tr>
            </thead>
            <tbody>
              {FEATURES.map((f) => {
                const m = d.report!.features[f.value];
                return (
                  <tr key={f.value}>
                    <Td>{f.label.replace(' (top 15)', '')}</Td>
                    <Td className="text-right">{m ? m.psi.toFixed(3) : '—'}</Td>
                    <Td className="text-right">{m ? m.js.toFixed(3) : '—'}</Td>
                  </tr>
                );
              })}
            </tbody>
          </Table>
        )}
      </CardBody>
    </Card>
  );
}

export function MonitoringView() {
  const trpc = useTRPC();
  const overview = useQuery({
    ...trpc.monitoring.overview.queryOptions(),
    refetchInterval: 30_000,
  });
  const [source, setSource] = useState<'batch' | 'online' | 'stream' | null>(null);
  const [measure, setMeasure] = useState<TMeasure>('maxPsi');
  const [selected, setSelected] = useState<string | null>(null);

  const data = overview.data;
  const sources = useMemo(
    () =>
      (['batch', 'online', 'stream'] as const).filter((s) =>
        data?.drift.some((d) => d.source === s),
      ),
    [data],
  );
  const activeSource = source ?? sources[0] ?? 'batch';

  if (overview.isPending) {
    return (
      <>
        <PageHeader
          title="Monitoring"
          description="Error month by month, drift of inputs and predictions, alerts."
        />
        <LoadingRows rows={8} />
      </>
    );
  }
  if (overview.isError || !data) {
    return (
      <>
        <PageHeader title="Monitoring" />
        <ErrorState error={overview.error} onRetry={() => void overview.refetch()} />
      </>
    );
  }

  const serving = data.versions.map((v) => v.version);
  const production = data.versions.find((v) => v.stage === 'production') ?? null;
  // Versions with figures but no longer serving (an earlier production) are charted too, after the serving ones.
  const withFigures = [
    ...new Set([
      ...data.monthly.map((m) => m.modelVersion),
      ...data.drift.map((d) => d.modelVersion),
    ]),
  ];
  const versions = [...serving, ...withFigures.filter((v) => !serving.includes(v))];
  const monthlyVersions = versions.filter((v) => data.monthly.some((m) => m.modelVersion === v));
  const drift = data.drift.filter((d) => d.source === activeSource);
  const driftVersions = versions.filter((v) => drift.some((d) => d.modelVersion === v));
  const isShare = measure === 'unseenPairShare';
  const t = data.thresholds;

  return (
    <>
      <PageHeader
        title="Monitoring"
        description={`Is ${data.modelName} still good, and since when not? Error where actual durations are known (batch), drift against the training reference everywhere.`}
      />
      <div className="space-y-6">
        <Card>
          <CardHeader
            title="Error by scored month"
            description="RMSE (solid) and MAE (dashed) against the actual durations, per version, from the latest succeeded run of each month; a backfill fills in the months it scores."
          />
          <CardBody>
            {data.monthly.length === 0 ? (
              <EmptyState title="No scored month yet">
                Score a month or backfill a range on the Batch runs page: each succeeded run adds
                its month here.
              </EmptyState>
            ) : (
              <ErrorByMonthChart
                points={data.monthly}
                versions={monthlyVersions}
                referenceRmse={production?.validationRmse ?? null}
              />
            )}
          </CardBody>
        </Card>

        <Card>
          <CardHeader
            title="Drift over time"
            description={`Population stability index per feature against the training reference (watch ≥ ${t.psiWatch}, alert ≥ ${t.psiAlert}); pairs never seen in training (watch ≥ ${formatPercent(t.unseenPairWatch)}, alert ≥ ${formatPercent(t.unseenPairAlert)}). Click a point or a row for its distributions.`}
            action={
              <div className="flex shrink-0 gap-3">
                <Field id="drift-source" label="Source">
                  <Select
                    id="drift-source"
                    className="w-52"
                    value={activeSource}
                    onChange={(e) => setSource(e.target.value as typeof activeSource)}
                  >
                    <option value="batch">Batch runs (by month)</option>
                    <option value="online">Online (by day)</option>
                    <option value="stream">Stream (by day)</option>
                  </Select>
                </Field>
                <Field id="drift-measure" label="Measure">
                  <Select
                    id="drift-measure"
                    className="w-72"
                    value={measure}
                    onChange={(e) => setMeasure(e.target.value as TMeasure)}
                  >
                    {MEASURES.map((m) => (
                      <option key={m.value} value={m.value}>
                        {m.label}
                      </option>
                    ))}
                  </Select>
                </Field>
              </div>
            }
          />
          <CardBody className="space-y-4">
            {drift.length === 0 ? (
              <EmptyState title={`No ${activeSource} drift measured yet`}>
                {activeSource === 'batch'
                  ? 'Every succeeded batch run measures the drift of the month it scored.'
                  : `The daily drift job (scorer drift, or scorer schedule at 02:15 UTC) measures yesterday's ${activeSource} predictions.`}
              </EmptyState>
            ) : (
              <>
                <DriftOverTimeChart
                  points={drift.map((d) => ({
                    id: d.id,
                    label: periodLabel(d),
                    modelVersion: d.modelVersion,
                    value: measureOf(d, measure),
                  }))}
                  versions={driftVersions}
                  measureLabel={MEASURES.find((m) => m.value === measure)!.label}
                  watch={isShare ? t.unseenPairWatch : t.psiWatch}
                  alert={isShare ? t.unseenPairAlert : t.psiAlert}
                  isShare={isShare}
                  onSelect={setSelected}
                />
                <Table aria-label="Drift measurements">
                  <thead>
                    <tr>
                      <Th>Period</Th>
                      <Th>{activeSource === 'batch' ? 'Run' : 'Day'}</Th>
                      <Th>Version</Th>
                      <Th className="text-right">Rides</Th>
                      <Th className="text-right">Max PSI</Th>
                      <Th className="text-right">Unseen pairs</Th>
                      <Th>Status</Th>
                      <Th />
                    </tr>
                  </thead>
                  <tbody>
                    {[...drift].reverse().map((d) => (
                      <tr
                        key={d.id}
                        data-testid="drift-row"
                        data-status={d.status}
                        className={d.id === selected ? 'bg-accent/50' : undefined}
                      >
                        <Td>{periodLabel(d)}</Td>
                        <Td className="max-w-56 truncate font-mono text-xs" title={d.scope}>
                          {d.scope}
                        </Td>
                        <Td
                          className="max-w-40 truncate font-mono text-xs"
                          title={`${d.modelVersion} (${d.role})`}
                        >
                          {d.modelVersion}
                        </Td>
                        <Td className="text-right">{formatCount(d.rows)}</Td>
                        <Td className="text-right">{d.maxPsi.toFixed(3)}</Td>
                        <Td className="text-right">{formatPercent(d.unseenPairShare)}</Td>
                        <Td title={d.reasons.join('\n')}>
                          <Badge tone={STATUS_TONE[d.status]}>{d.status}</Badge>
                        </Td>
                        <Td className="text-right">
                          <Button size="sm" variant="secondary" onClick={() => setSelected(d.id)}>
                            Distributions
                          </Button>
                        </Td>
                      </tr>
                    ))}
                  </tbody>
                </Table>
              </>
            )}
          </CardBody>
        </Card>

        {selected && <DriftDrillDown key={selected} id={selected} />}

        <Card>
          <CardHeader
            title="Alerts"
            description="A row per crossed threshold; the banner shows the open ones until someone acknowledges them (audited)."
          />
          <CardBody>
            {data.alerts.length === 0 ? (
              <p className="text-sm text-muted-foreground">No alert so far.</p>
            ) : (
              <AlertList alerts={data.alerts} />
            )}
          </CardBody>
        </Card>
      </div>
    </>
  );
}
