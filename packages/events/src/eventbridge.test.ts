// The EventBridge event against moto_server (Python moto 5, installed on the dev and CI machines), a
// real implementation of the EventBridge API: a rule on the bus matching our source and
// detail-type forwards the event to an SQS queue, and the test reads it back from there. So
// what is checked is what a subscriber receives, not just that PutEvents answered.
import { CreateEventBusCommand, EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { createPgPool } from '@tripcast/db/client';
import { createMigratedTestDatabase } from '@tripcast/db/testing';
import type { TTestDatabase } from '@tripcast/db/testing';
import { MOTO_SERVER_PATH, startMotoServer } from '@tripcast/local-stack/testing';
import type { TMotoServer } from '@tripcast/local-stack/testing';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishRunFinished } from './publish-run-finished';
import { RUN_EVENT_SOURCE, RUN_FINISHED_DETAIL_TYPE } from './run-finished';
import type { TRunFinishedDetail } from './run-finished';

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const BUS = 'tripcast-test-events';
const QUEUE = 'run-finished';

const DETAIL: TRunFinishedDetail = {
  runId: 'yellow-2024-01-x',
  taxiType: 'yellow',
  year: 2024,
  month: 1,
  status: 'succeeded',
  rowsRead: 10,
  rowsScored: 9,
  rowsRejected: 1,
  modelName: 'ride_duration_prediction_model',
  modelVersion: 'v2',
  outputUri: 's3://b/predictions/taxi_type=yellow/year=2024/month=01/yellow-2024-01-x.parquet',
  rejectsUri: 's3://b/rejects/yellow-2024-01-x.parquet',
  error: null,
  finishedAt: '2026-12-04T14:30:00.000Z',
};

let moto: TMotoServer | undefined;
let endpoint: string;
let database: TTestDatabase;
let pool: pg.Pool;

/** SQS's JSON protocol by hand (no SQS client dependency for one test); moto reads the service from the credential scope. */
async function sqs<T>(action: string, body: Record<string, unknown>): Promise<T> {
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': `AmazonSQS.${action}`,
      authorization: `AWS4-HMAC-SHA256 Credential=test/20260101/${REGION}/sqs/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`SQS ${action}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

describe.skipIf(!MOTO_SERVER_PATH)('EventBridge PutEvents (moto_server)', () => {
  beforeAll(async () => {
    moto = await startMotoServer();
    endpoint = moto.endpoint;
    database = await createMigratedTestDatabase();
    pool = createPgPool(database.url, { max: 2 });
  }, 90_000);
  afterAll(async () => {
    moto?.stop();
    await pool?.end();
    await database?.drop();
  });

  it('puts a "Batch run finished" event from tripcast.scorer on the bus; a rule delivers its detail; the delivery is recorded', async () => {
    const client = new EventBridgeClient({ region: REGION, endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    await client.send(new CreateEventBusCommand({ Name: BUS }));
    const { QueueUrl } = await sqs<{ QueueUrl: string }>('CreateQueue', { QueueName: QUEUE });
    // The rule a subscriber would write: our source and detail-type, succeeded runs only.
    await client.send(
      new PutRuleCommand({
        Name: 'month-ready',
        EventBusName: BUS,
        EventPattern: JSON.stringify({ source: [RUN_EVENT_SOURCE], 'detail-type': [RUN_FINISHED_DETAIL_TYPE], detail: { status: ['succeeded'] } }),
      }),
    );
    await client.send(
      new PutTargetsCommand({ Rule: 'month-ready', EventBusName: BUS, Targets: [{ Id: 'queue', Arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:${QUEUE}` }] }),
    );

    const logs: string[] = [];
    const outcome = await publishRunFinished(
      { eventBridge: { client, busName: BUS }, sql: pool, log: (level, message) => void logs.push(`${level} ${message}`) },
      DETAIL,
    );
    expect(outcome).toEqual([{ target: 'eventbridge', isDelivered: true, attempts: 1 }]);

    const received = await sqs<{ Messages?: { Body: string }[] }>('ReceiveMessage', { QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 2 });
    expect(received.Messages).toHaveLength(1);
    const event = JSON.parse(received.Messages![0]!.Body) as Record<string, unknown>;
    expect(event).toMatchObject({ source: RUN_EVENT_SOURCE, 'detail-type': RUN_FINISHED_DETAIL_TYPE, detail: DETAIL });

    const { rows } = await pool.query('SELECT target, destination, status, attempts FROM webhook_deliveries WHERE run_id = $1', [DETAIL.runId]);
    expect(rows).toEqual([{ target: 'eventbridge', destination: BUS, status: 'delivered', attempts: 1 }]);

    // A bus that does not exist: recorded as failed, and publishRunFinished still resolves.
    const missing = await publishRunFinished(
      { eventBridge: { client, busName: 'no-such-bus' }, sql: pool, log: (level, message) => void logs.push(`${level} ${message}`) },
      { ...DETAIL, runId: 'yellow-2024-02-x' },
    );
    expect(missing).toMatchObject([{ target: 'eventbridge', isDelivered: false }]);
    const failed = await pool.query('SELECT status, last_error FROM webhook_deliveries WHERE run_id = $1', ['yellow-2024-02-x']);
    expect(failed.rows[0]).toMatchObject({ status: 'failed' });
    expect(logs.at(-1)).toMatch(/NOT put on EventBridge/);
    client.destroy();
  });
});
