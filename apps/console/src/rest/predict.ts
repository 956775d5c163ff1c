import type { IncomingMessage, ServerResponse } from 'node:http';
import { formatFieldErrors, TRUNCATED_ISSUES_PATH, ZPredictRequest } from '@tripcast/model';
import type { TRideId } from '@tripcast/model';
import { ridesToColumns } from '@tripcast/model/features';
import { HttpError, sendJson } from './http-error';
import type { THistoryRow, THistoryWriter } from './history-writer';
import { readJsonBody } from './read-json-body';
import { createTimeOrderedId } from './time-ordered-id';
import type { TRideScorer } from './ride-scorer';
import type { TModelRouting } from './challengers';

/** Course response for a single ride (`ride_id` only when the ride carried one). */
export type TPredictResponse = { ride_id?: TRideId; duration: number; model_version: string };
/** Response for `{"rides": [...]}`: one prediction per ride, in request order. */
export type TPredictBatchResponse = {
  model_name: string;
  model_version: string;
  predictions: { ride_id?: TRideId; duration: number; model_version: string }[];
};

/**
 * A retried request carrying the same `Idempotency-Key` header makes no second history row
 * (the key becomes `<key>:<ride index>`); without the header every request is new.
 */
const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,200}$/;

/** Minutes to 4 decimals (6 ms): the model computes in float32, whose digits beyond that are noise. */
function roundMinutes(value: number): number {
  return Math.round(value * 1e4) / 1e4;
}

const MODEL_VERSION_PATTERN = /^[\x21-\x7e]{1,100}$/;

/** `X-Model-Version` header or `?model_version=` (tests, A/B): the version that must answer, or null. */
function readRequestedVersion(req: IncomingMessage): { requestedVersion: string | null; field: string } {
  const header = req.headers['x-model-version'];
  const url = req.url ?? '/';
  // Parsing the URL costs more than the rest of this check: only when there is a query.
  const query = url.includes('?') ? new URL(url, 'http://x').searchParams.get('model_version') : null;
  const [value, field] = typeof header === 'string' ? [header, 'headers.x-model-version'] : [query, 'query.model_version'];
  if (value === null || value === undefined) return { requestedVersion: null, field };
  if (!MODEL_VERSION_PATTERN.test(value))
    throw new HttpError({
      status: 400,
      code: 'invalid_request',
      message: `${field} must be 1..100 printable ASCII characters`,
      issues: [{ path: field, message: 'must be 1..100 printable ASCII characters' }],
    });
  return { requestedVersion: value, field };
}

function readIdempotencyKey(req: IncomingMessage): string {
  const header = req.headers['idempotency-key'];
  if (header === undefined) return createTimeOrderedId();
  if (typeof header !== 'string' || !IDEMPOTENCY_KEY_PATTERN.test(header)) {
    throw new HttpError({
      status: 400,
      code: 'invalid_request',
      message: 'Idempotency-Key must be 1..200 printable ASCII characters',
      issues: [{ path: 'headers.idempotency-key', message: 'must be 1..200 printable ASCII characters' }],
    });
  }
  return header;
}

export function createPredictHandler(deps: {
  score: TRideScorer;
  history: THistoryWriter;
  maxBodyBytes: number;
  /** Challengers (shadow scoring after the response), a requested version, a canary share. */
  routing?: TModelRouting;
}): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const startedAt = performance.now();
    const receivedAtMs = Date.now();
    const requestKey = readIdempotencyKey(req);
    const requested = readRequestedVersion(req);
    const body = await readJsonBody(req, { maxBytes: deps.maxBodyBytes });
    const parsed = ZPredictRequest.safeParse(body);
    if (!parsed.success) {
      const issues = formatFieldErrors(parsed.error);
      // The schema stops validating at MAX_REPORTED_ISSUES and says so in one last issue.
      const stop = issues.at(-1)?.path === TRUNCATED_ISSUES_PATH ? issues.pop() : undefined;
      throw new HttpError({
        status: 400,
        code: 'invalid_request',
        message: stop
          ? `The request body does not describe valid rides; see issues (${stop.message})`
          : 'The request body does not describe valid rides; see issues',
        issues,
        isTruncated: stop !== undefined,
      });
    }
    const { isBatch, rides } = parsed.data;

    const n = rides.length;
    // Without routing (tests of the bare handler) production answers every request.
    const picked = deps.routing?.pick(requested) ?? { score: deps.score, role: 'production' as const };
    // A ride without pickup_datetime was picked up when the request arrived.
    const columns = ridesToColumns(rides, { receivedAtMs });
    const { durations, modelName, modelVersion } = await picked.score(columns);
    const latencyMs = performance.now() - startedAt;

    const createdAt = new Date();
    const historyRows: THistoryRow[] = new Array<THistoryRow>(n);
    for (let i = 0; i < n; i++) {
      const ride = rides[i]!;
      historyRows[i] = {
        source: 'online',
        idempotencyKey: `${requestKey}:${i}`,
        rideId: ride.ride_id === undefined ? null : String(ride.ride_id),
        puLocationId: ride.PULocationID,
        doLocationId: ride.DOLocationID,
        tripDistance: ride.trip_distance,
        predictedDuration: durations[i]!,
        modelName,
        modelVersion,
        latencyMs,
        createdAt,
        role: picked.role,
      };
    }
    deps.history.enqueue(historyRows);
    // After this turn's responses are written: the challengers score the same rides.
    deps.routing?.shadow(columns, historyRows, modelVersion);

    if (!isBatch) {
      const rideId = rides[0]!.ride_id;
      const duration = roundMinutes(durations[0]!);
      const single: TPredictResponse =
        rideId === undefined
          ? { duration, model_version: modelVersion }
          : { ride_id: rideId, duration, model_version: modelVersion };
      sendJson(res, 200, single);
      return;
    }
    const response: TPredictBatchResponse = {
      model_name: modelName,
      model_version: modelVersion,
      predictions: rides.map((ride, i) =>
        ride.ride_id === undefined
          ? { duration: roundMinutes(durations[i]!), model_version: modelVersion }
          : { ride_id: ride.ride_id, duration: roundMinutes(durations[i]!), model_version: modelVersion },
      ),
    };
    sendJson(res, 200, response);
  };
}
