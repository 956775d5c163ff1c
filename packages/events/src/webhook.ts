import { DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signWebhookBody } from './run-finished';

export type TWebhookAttempt = {
  attempt: number;
  /** delivered; pending = will retry; failed = gave up (attempts exhausted or a permanent refusal). */
  status: 'delivered' | 'pending' | 'failed';
  statusCode?: number;
  error?: string;
};

export type TDeliverWebhookOptions = {
  url: string;
  secret: string;
  /** The exact bytes sent and signed. */
  body: string;
  deliveryId: string;
  maxAttempts?: number;
  /** First retry after this, doubling each time, capped at maxDelayMs. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  timeoutMs?: number;
  /** Called after every attempt (the caller records it); its errors are the caller's to swallow. */
  onAttempt?: (attempt: TWebhookAttempt) => Promise<void> | void;
  sleep?: (ms: number) => Promise<void>;
};

/** Worth retrying: no answer, a server error, a timeout or "slow down". Other 4xx will not fix themselves. */
function isRetryable(statusCode: number | undefined): boolean {
  return statusCode === undefined || statusCode >= 500 || statusCode === 408 || statusCode === 429;
}

/**
 * POSTs a signed JSON body, retrying with exponential backoff. Each attempt is signed afresh (a
 * new timestamp), so a receiver's replay window never refuses a late retry. Never throws: the
 * outcome is returned and reported through onAttempt.
 */
export async function deliverWebhook(options: TDeliverWebhookOptions): Promise<{ isDelivered: boolean; attempts: number; lastError?: string }> {
  const maxAttempts = options.maxAttempts ?? 5;
  const baseDelayMs = options.baseDelayMs ?? 1000;
  const maxDelayMs = options.maxDelayMs ?? 30_000;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let lastError: string | undefined;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const timestamp = Math.floor(Date.now() / 1000);
    let statusCode: number | undefined;
    try {
      const response = await fetch(options.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'tripcast-scorer',
          [TIMESTAMP_HEADER]: String(timestamp),
          [SIGNATURE_HEADER]: signWebhookBody({ secret: options.secret, timestamp, body: options.body }),
          [DELIVERY_HEADER]: options.deliveryId,
        },
        body: options.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      statusCode = response.status;
      // Only the status matters; reading (a bounded part of) the body frees the connection.
      const text = await response.text().catch(() => '');
      if (response.status >= 200 && response.status < 300) {
        await options.onAttempt?.({ attempt, status: 'delivered', statusCode });
        return { isDelivered: true, attempts: attempt };
      }
      lastError = `HTTP ${response.status}${text ? `: ${text.slice(0, 200)}` : ''}`;
    } catch (error) {
      lastError = error instanceof Error ? (error.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : `${error.message}${error.cause instanceof Error ? `: ${error.cause.message}` : ''}`) : String(error);
    }
    const willRetry = attempt < maxAttempts && isRetryable(statusCode);
    await options.onAttempt?.({ attempt, status: willRetry ? 'pending' : 'failed', statusCode, error: lastError });
    if (!willRetry) return { isDelivered: false, attempts: attempt, lastError };
    await sleep(Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1)));
  }
  return { isDelivered: false, attempts: maxAttempts, lastError };
}
