// Monitoring alerts: a row when a drift or error threshold is crossed, shown by the console as a
// banner until acknowledged (the acknowledgement is audited in the same transaction).
import type { Pool } from 'pg';
import type { Prisma, TDb } from '../client';
import type { DriftSource } from '../generated/prisma/enums';
import { recordAudit } from './audit';

const ALERT_SELECT = {
  id: true,
  kind: true,
  severity: true,
  source: true,
  scope: true,
  modelName: true,
  modelVersion: true,
  message: true,
  details: true,
  createdAt: true,
  acknowledgedAt: true,
  acknowledgedBy: true,
} as const satisfies Prisma.AlertSelect;

export type TAlertRow = Prisma.AlertGetPayload<{ select: typeof ALERT_SELECT }>;

export type TRaiseAlertInput = {
  kind: 'drift' | 'quality';
  severity: 'watch' | 'alert';
  source: DriftSource;
  scope: string;
  modelName: string;
  modelVersion: string;
  message: string;
  details?: unknown;
};

/**
 * Insert the alert, or update the one already raised for the same (kind, source, scope, version):
 * re-measuring a run never alerts twice. If it got worse (watch -> alert) an earlier
 * acknowledgement no longer holds and the banner shows it again. Returns the row's id and whether
 * it is (again) unacknowledged, so the caller can publish it (CloudWatch) once.
 */
export async function raiseAlert(
  pool: Pick<Pool, 'query'>,
  input: TRaiseAlertInput,
): Promise<{ id: string; isOpen: boolean }> {
  const { rows } = await pool.query<{ id: string; is_open: boolean }>(
    `INSERT INTO alerts (kind, severity, source, scope, model_name, model_version, message, details)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)
     ON CONFLICT (kind, source, scope, model_name, model_version) DO UPDATE SET
       message = EXCLUDED.message, details = EXCLUDED.details, severity = EXCLUDED.severity,
       acknowledged_at = CASE WHEN alerts.severity = 'watch' AND EXCLUDED.severity = 'alert' THEN NULL ELSE alerts.acknowledged_at END,
       acknowledged_by = CASE WHEN alerts.severity = 'watch' AND EXCLUDED.severity = 'alert' THEN NULL ELSE alerts.acknowledged_by END
     RETURNING id::text, acknowledged_at IS NULL AS is_open`,
    [
      input.kind,
      input.severity,
      input.source,
      input.scope,
      input.modelName,
      input.modelVersion,
      input.message,
      input.details === undefined ? null : JSON.stringify(input.details),
    ],
  );
  return { id: rows[0]!.id, isOpen: rows[0]!.is_open };
}

/** Unacknowledged alerts, newest first (the console's banner). */
export async function listOpenAlerts(
  db: TDb,
  { limit = 20 }: { limit?: number } = {},
): Promise<TAlertRow[]> {
  return db.alert.findMany({
    select: ALERT_SELECT,
    where: { acknowledgedAt: null },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: limit,
  });
}

/** Every alert of a model name, newest first (the Monitoring page). */
export async function listAlerts(
  db: TDb,
  { modelName, limit = 100 }: { modelName?: string; limit?: number },
): Promise<TAlertRow[]> {
  return db.alert.findMany({
    select: ALERT_SELECT,
    where: { modelName },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: limit,
  });
}

export class AlertNotFoundError extends Error {
  constructor(id: bigint) {
    super(`alert ${id} does not exist`);
    this.name = 'AlertNotFoundError';
  }
}

/**
 * Acknowledge an open alert and audit it (`alert.acknowledge`) in one transaction. Acknowledging
 * an already acknowledged alert changes nothing and is not audited again.
 */
export async function acknowledgeAlert(
  db: TDb,
  { id, actor, note }: { id: bigint; actor: string; note?: string },
): Promise<TAlertRow> {
  return db.$transaction(async (tx) => {
    const updated = await tx.alert.updateMany({
      where: { id, acknowledgedAt: null },
      data: { acknowledgedAt: new Date(), acknowledgedBy: actor },
    });
    const row = await tx.alert.findUnique({ where: { id }, select: ALERT_SELECT });
    if (!row) throw new AlertNotFoundError(id);
    if (updated.count > 0) {
      await recordAudit(tx, {
        actor,
        action: 'alert.acknowledge',
        targetType: 'alert',
        targetId: String(id),
        details: {
          kind: row.kind,
          severity: row.severity,
          model: `${row.modelName}@${row.modelVersion}`,
          scope: row.scope,
          ...(note ? { note } : {}),
        },
      });
    }
    return row;
  });
}
