import { z } from 'zod';
import { MAX_RIDES_PER_REQUEST, MAX_TRIP_DISTANCE_MILES, MODEL_OUTPUT_UNIT, ZRideId, ZRideWithId } from '@tripcast/model';
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
  properties.trip_distance = { ...properties.trip_distance, exclusiveMinimum: 0, maximum: MAX_TRIP_DISTANCE_MILES };
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

/** OpenAPI 3.1 (whose schemas are JSON Schema 2020-12, what zod emits) for the public prediction API. */
export function buildOpenApiDocument(options: { modelName: string; serverUrl?: string }): TJsonSchema {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Tripcast prediction API',
      version: '1.0.0',
      description:
        `Trip duration (${MODEL_OUTPUT_UNIT}) for NYC taxi rides from the production version of model ` +
        `\`${options.modelName}\`. Compatible with the MLOps Zoomcamp web service body.`,
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
            '429': errorResponse('Rate limit of this API key reached; retry after `Retry-After` seconds'),
            '405': errorResponse('Method other than POST'),
            '413': errorResponse(`Body larger than ${DEFAULT_MAX_BODY_BYTES} bytes`),
            '415': errorResponse('Content-Type is not application/json'),
            '503': errorResponse('No model is loaded yet'),
          },
        },
      },
    },
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'An API key created on the console\'s API keys page' },
      },
      schemas: {
        Ride: buildRideSchema(),
        PredictResponse: toSchema(ZPredictResponse),
        PredictBatchResponse: toSchema(ZPredictBatchResponse),
        Error: toSchema(ZErrorResponse),
      },
    },
  };
}
