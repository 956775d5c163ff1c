import { createHmac, timingSafeEqual } from 'node:crypto';

/** EventBridge `source` and `detail-type` of the event (also the webhook body's envelope). */
export const RUN_EVENT_SOURCE = 'tripcast.scorer';
export const RUN_FINISHED_DETAIL_TYPE = 'Batch run finished';

/** Headers of a webhook delivery. The signature covers the timestamp, so an old body cannot be replayed later. */
export const SIGNATURE_HEADER = 'x-tripcast-signature';
export const TIMESTAMP_HEADER = 'x-tripcast-timestamp';
export const DELIVERY_HEADER = 'x-tripcast-delivery';
/** A receiver should refuse a timestamp further than this from its clock (replay window). */
export const DEFAULT_SIGNATURE_TOLERANCE_SECONDS = 300;

/** What a downstream application needs to know that a month is ready (or failed). */
export type TRunFinishedDetail = {
  runId: string;
  taxiType: string;
  year: number;
  month: number;
  status: 'succeeded' | 'failed';
  rowsRead: number;
  rowsScored: number;
  rowsRejected: number;
  modelName: string | null;
  modelVersion: string | null;
  /** The predictions Parquet (`.../taxi_type=/year=/month=/<run_id>.parquet`); null when none was written. */
  outputUri: string | null;
  rejectsUri: string | null;
  /** Why a failed run failed. */
  error: string | null;
  finishedAt: string;
};

/** The webhook body: the same envelope fields EventBridge puts around `detail`. */
export type TRunFinishedEnvelope = {
  source: typeof RUN_EVENT_SOURCE;
  'detail-type': typeof RUN_FINISHED_DETAIL_TYPE;
  time: string;
  detail: TRunFinishedDetail;
};

export function buildRunFinishedEnvelope(detail: TRunFinishedDetail): TRunFinishedEnvelope {
  return { source: RUN_EVENT_SOURCE, 'detail-type': RUN_FINISHED_DETAIL_TYPE, time: detail.finishedAt, detail };
}

/** `sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">`, the X-Tripcast-Signature value. */
export function signWebhookBody({ secret, timestamp, body }: { secret: string; timestamp: number; body: string }): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * The receiver's check (what README's snippet does): the signature matches the raw body and the
 * timestamp, compared in constant time, and the timestamp is recent. Returns why not, or null.
 */
export function verifyWebhookSignature(options: {
  secret: string;
  body: string;
  signature: string | undefined;
  timestamp: string | undefined;
  nowSeconds?: number;
  toleranceSeconds?: number;
}): string | null {
  const { secret, body, signature, timestamp } = options;
  if (!signature || !timestamp) return 'missing signature or timestamp header';
  if (!/^\d{1,12}$/.test(timestamp)) return 'malformed timestamp';
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - Number(timestamp)) > (options.toleranceSeconds ?? DEFAULT_SIGNATURE_TOLERANCE_SECONDS)) {
    return 'timestamp outside the tolerance (a replay, or a clock far off)';
  }
  const expected = Buffer.from(signWebhookBody({ secret, timestamp: Number(timestamp), body }));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given) ? null : 'signature does not match';
}
