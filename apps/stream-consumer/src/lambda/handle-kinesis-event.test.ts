import { readFile, rm } from 'node:fs/promises';

import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { createKinesisClient, createTestStream, getTestAws } from '@tripcast/local-stack/testing';
import type { TLoadedModel } from '@tripcast/model/runtime';
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';

import { createKinesisPublisher } from '../core/put-records';
import type { THandlerDeps } from '../core/process-records';
import { createPgSinks } from '../stores/pg-sinks';
import { createMigratedDatabase, createTestModel, readAllRecords, rideEvent, silentLog, writeTestModelFolder } from '../testing/fixtures';
import { createKinesisHandler, readShardId, readStreamName } from './handle-kinesis-event';

/**
 * What a Kinesis event source mapping hands a Lambda, built from records really read from
 * kinesalite: base64 data, `<shardId>:<sequenceNumber>` eventID, arrival time in seconds.
 */
async function readAsLambdaEvent(kinesis: ReturnType<typeof createKinesisClient>, streamName: string): Promise<KinesisStreamEvent> {
  const { Shards = [] } = await kinesis.send(new ListShardsCommand({ StreamName: streamName }));
  const records: KinesisStreamRecord[] = [];
  for (const shard of Shards) {
    const { ShardIterator } = await kinesis.send(
      new GetShardIteratorCommand({ StreamName: streamName, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }),
    );
    const { Records = [] } = await kinesis.send(new GetRecordsCommand({ ShardIterator }));
    for (const record of Records) {
      records.push({
        kinesis: {
          kinesisSchemaVersion: '1.0',
          partitionKey: record.PartitionKey!,
          sequenceNumber: record.SequenceNumber!,
          data: Buffer.from(record.Data!).toString('base64'),
          approximateArrivalTimestamp: record.ApproximateArrivalTimestamp!.getTime() / 1000,
        },
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: `${shard.ShardId}:${record.SequenceNumber}`,
        eventName: 'aws:kinesis:record',
        invokeIdentityArn: 'arn:aws:iam::123456789012:role/lambda-kinesis-role',
        awsRegion: 'us-east-1',
        eventSourceARN: `arn:aws:kinesis:us-east-1:123456789012:stream/${streamName}`,
      });
    }
  }
  return { Records: records };
}

describe('Lambda handler', () => {
  let db: Awaited<ReturnType<typeof createMigratedDatabase>>;
  let model: TLoadedModel;
  const kinesis = createKinesisClient();

  beforeAll(async () => {
    db = await createMigratedDatabase();
    model = await createTestModel('v1');
  });
  afterAll(async () => {
    kinesis.destroy();
    await model.close();
    await db.drop();
  });

  const depsFor = (outputStream: string): THandlerDeps => ({
    getModel: () => model,
    publisher: createKinesisPublisher({ client: kinesis, streamName: outputStream, retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 } }),
    ...createPgSinks(db.pool),
  });

  it('reads stream and shard from the event source ARN and event id', () => {
    expect(readStreamName('arn:aws:kinesis:eu-west-1:123456789012:stream/ride_events')).toBe('ride_events');
    expect(readShardId('shardId-000000000006:4959033827149025660855969')).toBe('shardId-000000000006');
  });

  it("scores the course's test event and dead-letters AWS's sample 'Hello, this is a test.' record", async () => {
    const event = JSON.parse(await readFile(new URL('./fixtures/kinesis-event.json', import.meta.url), 'utf8')) as KinesisStreamEvent;
    const output = await createTestStream({ shardCount: 1 });
    const handler = createKinesisHandler({ getDeps: () => Promise.resolve(depsFor(output)), log: silentLog });
    expect(await handler(event)).toEqual({ batchItemFailures: [] });
    expect(await readAllRecords(kinesis, output)).toEqual([
      { model: 'ride_duration_prediction_model', version: 'v1', prediction: { ride_duration: expect.closeTo(12.32, 4) as number, ride_id: 256 } },
    ]);
    const { rows } = await db.pool.query<{ idempotency_key: string; status: string; latency_ms: number }>(
      `SELECT idempotency_key, status, latency_ms FROM prediction_history WHERE idempotency_key LIKE '%/shardId-00000000000_/%' ORDER BY id`,
    );
    expect(rows.map((row) => [row.idempotency_key, row.status])).toEqual(
      expect.arrayContaining([
        ['ride_events/shardId-000000000000/49630081666084879290581185630324770398608704880802529282', 'scored'],
        ['lambda-stream/shardId-000000000006/49590338271490256608559692538361571095921575989136588898', 'rejected'],
      ]),
    );
    const { rows: dead } = await db.pool.query<{ payload: string }>(`SELECT convert_from(payload, 'UTF8') AS payload FROM dead_letters WHERE stream_name = 'lambda-stream'`);
    expect(dead).toEqual([{ payload: 'Hello, this is a test.' }]);
  });

  it('reports only the records whose output could not be published as batchItemFailures', async () => {
    const input = await createTestStream({ shardCount: 2 });
    const output = await createTestStream({ shardCount: 1 });
    await kinesis.send(
      new PutRecordsCommand({
        StreamName: input,
        Records: [rideEvent(1), rideEvent(2), rideEvent(3)].map((e) => ({ Data: Buffer.from(JSON.stringify(e)), PartitionKey: String(e.ride_id) })),
      }),
    );
    const event = await readAsLambdaEvent(kinesis, input);
    expect(event.Records).toHaveLength(3);
    const deps = depsFor(output);
    // The output stream refusing ride 2 (e.g. throttled past the retries): only its record is failed.
    const publisher = deps.publisher!;
    deps.publisher = {
      publish: async (entries) => {
        const keep = entries.map((_, i) => i).filter((i) => entries[i]!.partitionKey !== '2');
        const result = await publisher.publish(keep.map((i) => entries[i]!));
        return { failedIndexes: [...entries.keys()].filter((i) => entries[i]!.partitionKey === '2' || result.failedIndexes.includes(keep.indexOf(i))) };
      },
    };
    const handler = createKinesisHandler({ getDeps: () => Promise.resolve(deps), log: silentLog });
    const ride2 = event.Records.find((r) => (JSON.parse(Buffer.from(r.kinesis.data, 'base64').toString()) as { ride_id: number }).ride_id === 2)!;
    expect(await handler(event)).toEqual({ batchItemFailures: [{ itemIdentifier: ride2.kinesis.sequenceNumber }] });

    // Lambda retries the failed record: now it goes through, and no history row is duplicated.
    deps.publisher = publisher;
    expect(await handler({ Records: [ride2] })).toEqual({ batchItemFailures: [] });
    const { rows } = await db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM prediction_history WHERE idempotency_key LIKE $1`, [`${input}/%`]);
    expect(rows[0]!.n).toBe('3');
    expect(((await readAllRecords(kinesis, output)) as { prediction: { ride_id: number } }[]).map((r) => r.prediction.ride_id).sort()).toEqual([1, 2, 3]);
  });

  it('reports the whole batch when the database is down (retry is safe: writes are idempotent)', async () => {
    const event = JSON.parse(await readFile(new URL('./fixtures/kinesis-event.json', import.meta.url), 'utf8')) as KinesisStreamEvent;
    const output = await createTestStream({ shardCount: 1 });
    const deps = { ...depsFor(output), history: { insertStreamHistory: () => Promise.reject(new Error('ECONNREFUSED')) } };
    const handler = createKinesisHandler({ getDeps: () => Promise.resolve(deps), log: silentLog });
    const response = await handler(event);
    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(event.Records.map((r) => r.kinesis.sequenceNumber));
  });

  it('the deployed entry (src/lambda.ts) builds its deps from env and handles an event', async () => {
    const output = await createTestStream({ shardCount: 1 });
    const modelFolder = await writeTestModelFolder('v7');
    onTestFinished(() => rm(modelFolder, { recursive: true, force: true }));
    const aws = getTestAws();
    Object.assign(process.env, {
      DATABASE_URL: db.url,
      KINESIS_ENDPOINT_URL: aws.kinesis.endpoint,
      AWS_REGION: aws.region,
      AWS_ACCESS_KEY_ID: aws.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: aws.credentials.secretAccessKey,
      PREDICTIONS_STREAM_NAME: output,
      MODEL_LOCATION: modelFolder,
      LOG_LEVEL: 'silent',
    });
    const { handler } = await import('../lambda');
    const event = JSON.parse(await readFile(new URL('./fixtures/kinesis-event.json', import.meta.url), 'utf8')) as KinesisStreamEvent;
    event.Records = event.Records.slice(0, 1).map((r) => ({ ...r, kinesis: { ...r.kinesis, sequenceNumber: '1' } }));
    expect(await handler(event)).toEqual({ batchItemFailures: [] });
    expect(await readAllRecords(kinesis, output)).toEqual([
      { model: 'ride_duration_prediction_model', version: 'v7', prediction: { ride_duration: expect.closeTo(12.32, 4) as number, ride_id: 256 } },
    ]);
  });
});
