import type { ServerResponse } from 'node:http';
import type { TFieldError } from '@tripcast/model';

/**
 * Error codes the REST API answers with. A client can switch on `error`; `message` is for people.
 * Never carries a stack trace or a schema: only what the caller sent wrong.
 */
export type TApiErrorCode =
  | 'invalid_request'
  | 'invalid_json'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'method_not_allowed'
  | 'not_found'
  | 'unauthorized'
  | 'forbidden'
  | 'not_acceptable'
  | 'run_not_finished'
  | 'rate_limited'
  | 'model_unavailable'
  | 'service_unavailable'
  | 'internal_error';

export type TApiErrorBody = {
  error: TApiErrorCode;
  message: string;
  issues?: TFieldError[];
  /** True when validation stopped at the cap (MAX_REPORTED_ISSUES) and more issues may exist. */
  issues_truncated?: boolean;
};

export class HttpError extends Error {
  readonly status: number;
  readonly code: TApiErrorCode;
  readonly issues: TFieldError[] | undefined;
  readonly isTruncated: boolean;
  readonly headers: Record<string, string>;

  constructor(options: {
    status: number;
    code: TApiErrorCode;
    message: string;
    issues?: TFieldError[];
    isTruncated?: boolean;
    headers?: Record<string, string>;
  }) {
    super(options.message);
    this.name = 'HttpError';
    this.status = options.status;
    this.code = options.code;
    this.issues = options.issues;
    this.isTruncated = options.isTruncated ?? false;
    this.headers = options.headers ?? {};
  }

  toBody(): TApiErrorBody {
    if (!this.issues) return { error: this.code, message: this.message };
    return this.isTruncated
      ? { error: this.code, message: this.message, issues: this.issues, issues_truncated: true }
      : { error: this.code, message: this.message, issues: this.issues };
  }
}

/**
 * On every API response: JSON is never rendered as a page, framed, or sniffed as something else,
 * and no Referer leaks from it.
 */
export const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
} as const;

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    'cache-control': 'no-store',
    ...SECURITY_HEADERS,
    ...headers,
  });
  res.end(payload);
}

export function sendError(res: ServerResponse, error: HttpError): void {
  sendJson(res, error.status, error.toBody(), error.headers);
}
