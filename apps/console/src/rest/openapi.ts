import { z } from 'zod';
import { MAX_RIDES_PER_REQUEST, MAX_TRIP_DISTANCE_MILES, MODEL_OUTPUT_UNIT, ZRideId, ZRideWithId, ZTaxiType } from '@tripcast/model';
import {
  CONTENT_TYPES,
  DEFAULT_PREDICTIONS_PAGE,
  MAX_PREDICTIONS_PAGE,
  MAX_RUNS_PAGE,
  RUN_STATUSES,
  ZBatchPredictionLine,
  ZRidePredictionsResponse,
  ZRunDetailResponse,
  ZRunListResponse,
} from './read-api';
import { DEFAULT_MAX_BODY_BYTES } from './read-json-body';

/** Response shapes, as zod so the document is generated and the tests check real responses against it. */
export const ZPredictResponse = z.object({
  ride_id: ZRideId.optional(),
  duration: z.number().describe(`Predicted trip duration in ${MODEL_OUTPUT_UNIT}`),
  model_version: z.string().describe('Version of the model that made this prediction'),
});
export const ZPredictBatchResponse = z.object({
  model_name: z.string().describe('Registry name of the model'),
  model_version: z.string().describe('Version of the model that made every prediction in this response'),
  predictions: z.array(ZPredictResponse).describe('One prediction per ride, in request order'),
});
export const ZErrorResponse = z.object({
  error: z.string().describe('Machine-readable code, e.g. invalid_request, invalid_json, payload_too_large'),
  message: z.string().describe('What was wrong, for people'),
  issues: z
    .array(
      z.object({
        path: z.string().describe('The wrong field, e.g. rides.2.PULocationID'),
        message: z.string(),
      }),
    )
    .optional(),
  issues_truncated: z
    .boolean()
    .optional()
    .describe('True when validation stopped after the first 100 issues (the message says at which ride); fix those and send again'),
});

type TJsonSchema = Record<string, unknown>;

function toSchema(schema: z.ZodType): TJsonSchema {
  // `unrepresentable: 'any'`: refinements (finite, bounds on a float) have no JSON Schema form; they are
  // added back by hand below where a client would want to know them.
  const { $schema: _dialect, ...json } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
  }) as TJsonSchema;
  return json;
}

function buildRideSchema(): TJsonSchema {
  const ride = toSchema(ZRideWithId);
  const properties = ride.properties as Record<string, TJsonSchema>;
  properties.trip_distance = { ...properties.trip_distance, minimum: 0, maximum: MAX_TRIP_DISTANCE_MILES };
  return {
    ...ride,
    description:
      'A ride as the course sends it. Unknown fields are ignored; every field the model reads is required.',
    example: { PULocationID: 10, DOLocationID: 50, trip_distance: 40 },
  };
}

function errorResponse(description: string): TJsonSchema {
  return { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
}

function jsonResponse(description: string, schemaName: string): TJsonSchema {
  return { description, content: { 'application/json': { schema: { $ref: `#/components/schemas/${schemaName}` } } } };
}

function queryParameter(name: string, description: string, schema: TJsonSchema, required = false): TJsonSchema {
  return { name, in: 'query', required, description, schema };
}

const READ_ERRORS = {
  '400': errorResponse('A query parameter is wrong or unknown; `issues[].path` names it'),
  '401': errorResponse('Missing, malformed, unknown or revoked API key'),
  '403': errorResponse('The API key does not have the `read` scope'),
  '429': errorResponse('Rate limit of this API key reached; retry after `Retry-After` seconds'),
};

const RUN_ID_PARAMETER = {
  name: 'id',
  in: 'path',
  required: true,
  description: 'The run id (run_id)',
  schema: { type: 'string' },
};

/** The read endpoints (scope `read`): runs, a run's predictions, one ride's predictions. */
function buildReadPaths(): TJsonSchema {
  return {
    '/api/v1/runs': {
      get: {
        operationId: 'listRuns',
        summary: 'Batch runs, newest first (filters: taxi type, month, status)',
        security: [{ apiKey: [] }],
        parameters: [
          queryParameter('taxi_type', 'Only runs of this taxi type', { type: 'string', enum: [...ZTaxiType.options] }),
          queryParameter('month', 'Only runs that scored this month', { type: 'string', pattern: '^\\d{4}-(0[1-9]|1[0-2])$', example: '2021-01' }),
          queryParameter('status', 'Only runs in this status', { type: 'string', enum: [...RUN_STATUSES] }),
          queryParameter('limit', 'Runs per page', { type: 'integer', minimum: 1, maximum: MAX_RUNS_PAGE, default: 50 }),
          queryParameter('cursor', '`next_cursor` of the previous page', { type: 'string' }),
        ],
        responses: { '200': jsonResponse('A page of runs', 'RunList'), ...READ_ERRORS },
      },
    },
    '/api/v1/runs/{id}': {
      get: {
        operationId: 'getRun',
        summary: 'One batch run: status, counts, model version, output URIs',
        security: [{ apiKey: [] }],
        parameters: [RUN_ID_PARAMETER],
        responses: { '200': jsonResponse('The run', 'RunDetail'), ...READ_ERRORS, '404': errorResponse('No run with this id') },
      },
    },
    '/api/v1/runs/{id}/predictions': {
      get: {
        operationId: 'listRunPredictions',
        summary: "A succeeded run's predictions: JSON lines or CSV pages in row order, or the run's whole Parquet file",
        description:
          'Choose the format with `?format=` or `Accept` (`application/x-ndjson`, `text/csv`, `application/vnd.apache.parquet`); ' +
          'JSON lines by default. JSON lines and CSV are keyset-paged on `row_index`: when more rows follow, the response ' +
          'carries `X-Next-After` (pass it as `after`) and a `Link: <...>; rel="next"` header. Parquet streams the file ' +
          'the scorer wrote (course columns), unpaged.',
        security: [{ apiKey: [] }],
        parameters: [
          RUN_ID_PARAMETER,
          queryParameter('format', 'Overrides Accept', { type: 'string', enum: ['jsonl', 'csv', 'parquet'] }),
          queryParameter('after', 'Rows after this row_index (the previous page\'s X-Next-After)', { type: 'integer', minimum: -1 }),
          queryParameter('limit', 'Rows per page (JSON lines, CSV)', { type: 'integer', minimum: 1, maximum: MAX_PREDICTIONS_PAGE, default: DEFAULT_PREDICTIONS_PAGE }),
        ],
        responses: {
          '200': {
            description: 'One page of rows (JSON lines: one BatchPredictionLine per line. CSV: a header row, the same columns), or the Parquet file',
            headers: {
              'X-Next-After': { description: 'row_index to pass as `after` for the next page; absent on the last page', schema: { type: 'integer' } },
              Link: { description: 'The next page\'s URL, rel="next"', schema: { type: 'string' } },
            },
            content: {
              [CONTENT_TYPES.jsonl]: { schema: { $ref: '#/components/schemas/BatchPredictionLine' } },
              [CONTENT_TYPES.csv]: { schema: { type: 'string' } },
              [CONTENT_TYPES.parquet]: { schema: { type: 'string', contentEncoding: 'binary' } },
            },
          },
          ...READ_ERRORS,
          '404': errorResponse('No run with this id, or its Parquet is gone'),
          '406': errorResponse('Accept names no format this endpoint serves'),
          '409': errorResponse('The run has not succeeded (queued, running or failed): no predictions to read'),
        },
      },
    },
    '/api/v1/predictions': {
      get: {
        operationId: 'findRidePredictions',
        summary: 'Every prediction made for one ride id, across batch, online and stream',
        security: [{ apiKey: [] }],
        parameters: [
          queryParameter('ride_id', 'A batch ride id ("2021/01_42") or the ride_id an online or stream caller sent', { type: 'string', minLength: 1, maxLength: 200 }, true),
          queryParameter('mode', 'Only this mode', { type: 'string', enum: ['batch', 'online', 'stream'] }),
          queryParameter('limit', 'Predictions per mode', { type: 'integer', minimum: 1, maximum: 100, default: 20 }),
        ],
        responses: { '200': jsonResponse('The predictions, newest first', 'RidePredictions'), ...READ_ERRORS },
      },
    },
  };
}

/** OpenAPI 3.1 (whose schemas are JSON Schema 2020-12, what zod emits) for the public prediction API. */
export function buildOpenApiDocument(options: { modelName: string; serverUrl?: string }): TJsonSchema {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Tripcast prediction and read API',
      version: '1.0.0',
      description:
        `Trip duration (${MODEL_OUTPUT_UNIT}) for NYC taxi rides from the production version of model ` +
        `\`${options.modelName}\`. Compatible with the MLOps Zoomcamp web service body. ` +
        'The read endpoints (API keys with the `read` scope) list batch runs and serve their predictions, ' +
        'and find the predictions of one ride id across the three modes.',
    },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    paths: {
      '/api/v1/predict': {
        post: {
          operationId: 'predict',
          summary: 'Predict trip duration for one ride or a list of rides',
          security: [{ apiKey: [] }],
          parameters: [
            {
              name: 'Idempotency-Key',
              in: 'header',
              required: false,
              description:
                'Retrying a request with the same key records its predictions in the history only once.',
              schema: { type: 'string', minLength: 1, maxLength: 200 },
            },
          ],
          requestBody: {
            required: true,
            description: `JSON, at most ${DEFAULT_MAX_BODY_BYTES} bytes and ${MAX_RIDES_PER_REQUEST} rides.`,
            content: {
              'application/json': {
                schema: {
                  oneOf: [
                    { $ref: '#/components/schemas/Ride' },
                    {
                      type: 'object',
                      properties: {
                        rides: {
                          type: 'array',
                          items: { $ref: '#/components/schemas/Ride' },
                          minItems: 1,
                          maxItems: MAX_RIDES_PER_REQUEST,
                        },
                      },
                      required: ['rides'],
                    },
                  ],
                },
                examples: {
                  course: { value: { PULocationID: 10, DOLocationID: 50, trip_distance: 40 } },
                  batch: {
                    value: {
                      rides: [
                        { ride_id: 256, PULocationID: 130, DOLocationID: 205, trip_distance: 3.66 },
                        { ride_id: 'b-2', PULocationID: 10, DOLocationID: 50, trip_distance: 40 },
                      ],
                    },
                  },
                },
              },
            },
          },
          responses: {
            '200': {
              description: 'A single-ride body gets PredictResponse; a `rides` body gets PredictBatchResponse.',
              content: {
                'application/json': {
                  schema: {
                    oneOf: [
                      { $ref: '#/components/schemas/PredictResponse' },
                      { $ref: '#/components/schemas/PredictBatchResponse' },
                    ],
                  },
                },
              },
            },
            '400': errorResponse('Invalid JSON or an invalid ride; `issues` names each wrong field'),
            '401': errorResponse('Missing, malformed, unknown or revoked API key'),
            '403': errorResponse('The API key does not have the `predict` scope'),
            '429': errorResponse('Rate limit of this API key reached; retry after `Retry-After` seconds'),
            '405': errorResponse('Method other than POST'),
            '413': errorResponse(`Body larger than ${DEFAULT_MAX_BODY_BYTES} bytes`),
            '415': errorResponse('Content-Type is not application/json'),
            '503': errorResponse('No model is loaded yet'),
          },
        },
      },
      ...buildReadPaths(),
    },
    components: {
      securitySchemes: {
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          description: "An API key created on the console's API keys page, with the `predict` and/or `read` scope",
        },
      },
      schemas: {
        Ride: buildRideSchema(),
        PredictResponse: toSchema(ZPredictResponse),
        PredictBatchResponse: toSchema(ZPredictBatchResponse),
        Error: toSchema(ZErrorResponse),
        RunList: toSchema(ZRunListResponse),
        RunDetail: toSchema(ZRunDetailResponse),
        BatchPredictionLine: toSchema(ZBatchPredictionLine),
        RidePredictions: toSchema(ZRidePredictionsResponse),
      },
    },
  };
}
