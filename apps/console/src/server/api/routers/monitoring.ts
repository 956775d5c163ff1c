// Model monitoring: error month by month (batch_run_model_metrics), drift over time (model_drift)
// against each version's training reference, the status the Overview shows, and the alerts the
// banner shows until someone acknowledges them (audited). Thin: every figure is computed by the
// scorer / drift job (@tripcast/model/monitoring-store) and read here.
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import {
  acknowledgeAlert,
  AlertNotFoundError,
  listAlerts,
  listOpenAlerts,
} from '@tripcast/db/queries/alerts';
import { getModelDrift, listModelDrift, type TModelDriftRow } from '@tripcast/db/queries/drift';
import { findModelProfile } from '@tripcast/db/queries/model-profiles';
import {
  getModelVersion,
  listServingModelVersions,
  type TModelVersionRow,
} from '@tripcast/db/queries/models';
import {
  listMonthlyModelMetrics,
  type TMonthlyModelMetrics,
} from '@tripcast/db/queries/run-metrics';
import { ZModelCard } from '@tripcast/model';
import {
  DEFAULT_DRIFT_THRESHOLDS,
  DEFAULT_QUALITY_THRESHOLDS,
  summarizeModelHealth,
  ZDriftReport,
  ZPopulationProfile,
  ZReferenceProfile,
  type TDriftReport,
  type TPopulationProfile,
} from '@tripcast/model/monitoring';
import { analystProcedure, createTRPCRouter, viewerProcedure } from '../trpc';

const ZId = z.string().regex(/^\d{1,18}$/, 'an id is a positive integer');

/** The report as stored (parsed; an unreadable one reads as null rather than failing the page). */
function readReport(row: Pick<TModelDriftRow, 'report'>): TDriftReport | null {
  const parsed = ZDriftReport.safeParse(row.report);
  return parsed.success ? parsed.data : null;
}

function validationRmseOf(row: Pick<TModelVersionRow, 'card'>): number | null {
  const card = ZModelCard.safeParse(row.card);
  return card.success ? (card.data.metrics.validation?.rmse ?? null) : null;
}

const monthLabel = (m: Pick<TMonthlyModelMetrics, 'year' | 'month'>) =>
  `${m.year}-${String(m.month).padStart(2, '0')}`;

/** The histograms only (no seen-pairs bitset): what the drill-down draws. */
function histogramsOf(profile: TPopulationProfile) {
  const { rows, distance, pickupZones, dropoffZones, hourOfWeek, prediction } = profile;
  return { rows, distance, pickupZones, dropoffZones, hourOfWeek, prediction };
}

function healthOf(
  version: string,
  drift: TModelDriftRow[],
  monthly: TMonthlyModelMetrics[],
  referenceRmse: number | null,
) {
  const latest = new Map<string, TModelDriftRow>();
  for (const row of drift) if (row.modelVersion === version) latest.set(row.source, row); // rows are oldest first
  const months = monthly.filter((m) => m.modelVersion === version && m.rmse !== null);
  const last = months.at(-1);
  return summarizeModelHealth({
    drift: [...latest.values()].map((row) => ({
      source: row.source,
      scope: row.scope,
      status: row.status,
      reasons: readReport(row)?.reasons ?? [],
    })),
    quality: last ? { rmse: last.rmse!, month: monthLabel(last) } : null,
    referenceRmse,
  });
}

export const monitoringRouter = createTRPCRouter({
  /** Everything the Monitoring page draws for the console's model name. */
  overview: viewerProcedure.query(async ({ ctx }) => {
    const [serving, monthly, drift, alerts] = await Promise.all([
      listServingModelVersions(ctx.db, ctx.modelName),
      listMonthlyModelMetrics(ctx.db, { modelName: ctx.modelName }),
      listModelDrift(ctx.db, { modelName: ctx.modelName }),
      listAlerts(ctx.db, { modelName: ctx.modelName, limit: 50 }),
    ]);
    const servingRows = [serving.production, ...serving.challengers].filter(
      (r): r is TModelVersionRow => r !== null,
    );
    const latestReport = drift.length ? readReport(drift.at(-1)!) : null;
    return {
      modelName: ctx.modelName,
      versions: servingRows.map((row) => ({
        version: row.version,
        stage: row.stage,
        validationRmse: validationRmseOf(row),
      })),
      monthly: monthly.map((m) => ({ ...m, label: monthLabel(m) })),
      drift: drift.map((row) => ({
        id: String(row.id),
        source: row.source,
        scope: row.scope,
        modelVersion: row.modelVersion,
        role: row.role,
        periodStart: row.periodStart,
        rows: row.rows,
        maxPsi: row.maxPsi,
        unseenPairShare: row.unseenPairShare,
        status: row.status,
        features: readReport(row)?.features ?? null,
        reasons: readReport(row)?.reasons ?? [],
      })),
      thresholds: latestReport?.thresholds ?? DEFAULT_DRIFT_THRESHOLDS,
      qualityThresholds: DEFAULT_QUALITY_THRESHOLDS,
      alerts: alerts.map((a) => ({ ...a, id: String(a.id) })),
    };
  }),

  /** One drift row with the reference and current histograms, for the overlay. */
  driftDetail: viewerProcedure.input(z.object({ id: ZId })).query(async ({ ctx, input }) => {
    const row = await getModelDrift(ctx.db, BigInt(input.id));
    if (!row || row.modelName !== ctx.modelName)
      throw new TRPCError({
        code: 'NOT_FOUND',
        message: `drift measurement ${input.id} does not exist`,
      });
    const current = ZPopulationProfile.safeParse(row.current);
    const version = await getModelVersion(ctx.db, {
      name: row.modelName,
      version: row.modelVersion,
    });
    const card = version ? ZModelCard.safeParse(version.card) : null;
    let reference = card?.success ? (card.data.profile ?? null) : null;
    let referenceReason: string | null = null;
    if (!reference) {
      const stored = await findModelProfile(ctx.db, {
        modelName: row.modelName,
        modelVersion: row.modelVersion,
      });
      const parsed = ZReferenceProfile.safeParse(stored?.profile);
      reference = parsed.success ? parsed.data : null;
      referenceReason = reference
        ? null
        : (stored?.reason ?? 'no reference profile for this version');
    }
    return {
      id: String(row.id),
      source: row.source,
      scope: row.scope,
      modelVersion: row.modelVersion,
      periodStart: row.periodStart,
      status: row.status,
      report: readReport(row),
      current: current.success ? histogramsOf(current.data) : null,
      reference: reference ? histogramsOf(reference) : null,
      referenceBasis: reference && 'basis' in reference ? reference.basis : null,
      referenceReason,
    };
  }),

  /** ok / watch / alert with the reasons, per serving version (production first): the Overview's card. */
  status: viewerProcedure.query(async ({ ctx }) => {
    const [serving, monthly, drift] = await Promise.all([
      listServingModelVersions(ctx.db, ctx.modelName),
      listMonthlyModelMetrics(ctx.db, { modelName: ctx.modelName }),
      listModelDrift(ctx.db, { modelName: ctx.modelName }),
    ]);
    const rows = [serving.production, ...serving.challengers].filter(
      (r): r is TModelVersionRow => r !== null,
    );
    return {
      modelName: ctx.modelName,
      versions: rows.map((row) => ({
        version: row.version,
        stage: row.stage,
        ...healthOf(row.version, drift, monthly, validationRmseOf(row)),
      })),
    };
  }),

  /** Unacknowledged alerts, newest first: the banner on every page. */
  openAlerts: viewerProcedure.query(async ({ ctx }) => {
    const alerts = await listOpenAlerts(ctx.db, { limit: 20 });
    return alerts.map((a) => ({ ...a, id: String(a.id) }));
  }),

  /** Acknowledge an alert (audited as alert.acknowledge, with the optional note). */
  acknowledgeAlert: analystProcedure
    .input(z.object({ id: ZId, note: z.string().trim().max(500).optional() }))
    .mutation(async ({ ctx, input }) => {
      try {
        const row = await acknowledgeAlert(ctx.db, {
          id: BigInt(input.id),
          actor: ctx.actor,
          note: input.note || undefined,
        });
        return { ...row, id: String(row.id) };
      } catch (error) {
        if (error instanceof AlertNotFoundError)
          throw new TRPCError({ code: 'NOT_FOUND', message: error.message });
        throw error;
      }
    }),
});
