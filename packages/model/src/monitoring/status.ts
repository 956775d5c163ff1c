// One status per model version for the Overview: ok / watch / alert with the reasons, from its
// latest drift per source (batch run, online day, stream day) and its latest month's error
// against the error it was trained to (the card's validation RMSE). Browser-safe.

/** RMSE this many times the card's validation RMSE: watch, then alert. */
export const DEFAULT_QUALITY_THRESHOLDS = { rmseWatchRatio: 1.2, rmseAlertRatio: 1.5 } as const;
export type TQualityThresholds = { rmseWatchRatio: number; rmseAlertRatio: number };

export type THealthStatus = 'ok' | 'watch' | 'alert' | 'unknown';
export type TModelHealth = { status: THealthStatus; reasons: string[] };

export type THealthDriftInput = {
  source: 'batch' | 'online' | 'stream';
  /** Run id or day. */
  scope: string;
  status: 'ok' | 'watch' | 'alert' | 'insufficient';
  reasons: string[];
};

const LEVEL: Record<THealthStatus, number> = { unknown: -1, ok: 0, watch: 1, alert: 2 };

/**
 * Worst of: each source's latest drift status, and the latest scored month's RMSE against the
 * card's validation RMSE (ratio thresholds). `unknown` when nothing was measured yet.
 */
export function summarizeModelHealth(input: {
  drift: THealthDriftInput[];
  quality?: { rmse: number; month: string } | null;
  referenceRmse?: number | null;
  thresholds?: TQualityThresholds;
}): TModelHealth {
  const limits = input.thresholds ?? DEFAULT_QUALITY_THRESHOLDS;
  let status: THealthStatus = 'unknown';
  const reasons: string[] = [];
  const raise = (to: THealthStatus, reason?: string) => {
    if (LEVEL[to] > LEVEL[status]) status = to;
    if (reason) reasons.push(reason);
  };
  for (const d of input.drift) {
    const where = d.source === 'batch' ? `batch run ${d.scope}` : `${d.source} ${d.scope}`;
    if (d.status === 'watch' || d.status === 'alert') {
      const more = d.reasons.length > 1 ? ` (+${d.reasons.length - 1} more)` : '';
      raise(d.status, `${where}: ${d.reasons[0] ?? `${d.status} drift`}${more}`);
    } else raise('ok');
  }
  if (input.quality && input.referenceRmse && input.referenceRmse > 0) {
    const ratio = input.quality.rmse / input.referenceRmse;
    const text = `RMSE ${input.quality.rmse.toFixed(2)} min on ${input.quality.month} is ${ratio.toFixed(2)}x the validation RMSE ${input.referenceRmse.toFixed(2)}`;
    if (ratio >= limits.rmseAlertRatio)
      raise('alert', `${text} (alert at ${limits.rmseAlertRatio}x)`);
    else if (ratio >= limits.rmseWatchRatio)
      raise('watch', `${text} (watch at ${limits.rmseWatchRatio}x)`);
    else raise('ok');
  }
  if (status === 'unknown')
    reasons.push(
      'no drift or error measured yet: score a month (batch) or wait for the daily drift job',
    );
  return { status, reasons };
}
