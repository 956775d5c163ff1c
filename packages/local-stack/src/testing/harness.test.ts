import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  PutRecordCommand,
} from '@aws-sdk/client-kinesis';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createKinesisClient,
  createS3Client,
  createTestBucket,
  createTestDatabase,
  createTestStream,
  getTestAws,
} from './index';
import type { TTestDatabase } from './index';
import { startPostgres } from '../postgres';
import { sweepAbandonedTestStacks } from './test-stack';

describe('createTestDatabase', () => {
  const created: TTestDatabase[] = [];
  afterAll(async () => {
    await Promise.all(created.map((db) => db.drop()));
  });

  it('gives a real, empty Postgres 17 database of its own', async () => {
    const db = await createTestDatabase();
    created.push(db);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ db: string; version: string }>(
        'select current_database() as db, current_setting($1) as version',
        ['server_version_num'],
      );
      expect(rows[0]?.db).toBe(db.name);
      expect(Number(rows[0]?.version)).toBeGreaterThanOrEqual(170000);
      await client.query('create table t (id int primary key, note text)');
      await client.query("insert into t values (1, 'one'), (2, 'two')");
      const count = await client.query<{ n: string }>('select count(*) as n from t');
      expect(count.rows[0]?.n).toBe('2');
    } finally {
      await client.end();
    }
  });

  it('isolates databases from each other and copies a template', async () => {
    const source = await createTestDatabase();
    created.push(source);
    const seed = new pg.Client({ connectionString: source.url });
    await seed.connect();
    await seed.query('create table seeded (x int)');
    await seed.query('insert into seeded values (42)');
    await seed.end();

    const fresh = await createTestDatabase();
    const copy = await createTestDatabase({ template: source.name });
    created.push(fresh, copy);
    const check = async (url: string) => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return (await client.query<{ t: string | null }>("select to_regclass('seeded')::text as t"))
          .rows[0]?.t;
      } finally {
        await client.end();
      }
    };
    expect(await check(fresh.url)).toBeNull();
    expect(await check(copy.url)).toBe('seeded');
  });

  it('drop() removes the database even with a connection still open', async () => {
    const db = await createTestDatabase();
    const client = new pg.Client({ connectionString: db.url });
    client.on('error', () => undefined); // the forced drop terminates this session
    await client.connect();
    await db.drop();
    await expect(
      createTestDatabase({ name: db.name }).then((again) => again.drop()),
    ).resolves.toBeUndefined();
  });
});

describe('S3 (s3rver)', () => {
  it('puts and gets an object with the AWS SDK', async () => {
    const bucket = await createTestBucket();
    const s3 = createS3Client();
    try {
      const body = JSON.stringify({ hello: 'tripcast', n: 1 });
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: 'models/m/1/card.json',
          Body: body,
          ContentType: 'application/json',
        }),
      );
      const got = await s3.send(
        new GetObjectCommand({ Bucket: bucket, Key: 'models/m/1/card.json' }),
      );
      expect(await got.Body?.transformToString()).toBe(body);
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'models/' }));
      expect(listed.Contents?.map((object) => object.Key)).toEqual(['models/m/1/card.json']);
    } finally {
      s3.destroy();
    }
  });

  it('gives each test bucket its own namespace', async () => {
    const [a, b] = await Promise.all([createTestBucket(), createTestBucket()]);
    expect(a).not.toBe(b);
    const s3 = createS3Client();
    try {
      await s3.send(new PutObjectCommand({ Bucket: a, Key: 'k', Body: 'x' }));
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: b }));
      expect(listed.KeyCount ?? 0).toBe(0);
    } finally {
      s3.destroy();
    }
  });
});

describe('Kinesis (kinesalite)', () => {
  it('creates an ACTIVE stream with the requested shards, then puts and gets a course ride event', async () => {
    const stream = await createTestStream({ shardCount: 2 });
    const kinesis = createKinesisClient();
    try {
      const shards = await kinesis.send(new ListShardsCommand({ StreamName: stream }));
      expect(shards.Shards).toHaveLength(2);

      const event = {
        ride: { PULocationID: 130, DOLocationID: 205, trip_distance: 3.66 },
        ride_id: 256,
      };
      const put = await kinesis.send(
        new PutRecordCommand({
          StreamName: stream,
          PartitionKey: '256',
          Data: Buffer.from(JSON.stringify(event)),
        }),
      );
      const { ShardIterator } = await kinesis.send(
        new GetShardIteratorCommand({
          StreamName: stream,
          ShardId: put.ShardId,
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      );
      const records = await kinesis.send(new GetRecordsCommand({ ShardIterator }));
      expect(records.Records).toHaveLength(1);
      expect(JSON.parse(Buffer.from(records.Records?.[0]?.Data ?? []).toString('utf8'))).toEqual(
        event,
      );
      expect(records.Records?.[0]?.PartitionKey).toBe('256');
    } finally {
      kinesis.destroy();
    }
  });

  it('exposes endpoints on 127.0.0.1 only', () => {
    const aws = getTestAws();
    expect(new URL(aws.s3.endpoint).hostname).toBe('127.0.0.1');
    expect(new URL(aws.kinesis.endpoint).hostname).toBe('127.0.0.1');
    expect(aws.credentials.accessKeyId).toBe('S3RVER');
  });
});

describe('sweepAbandonedTestStacks', () => {
  it('stops the Postgres of a test run that died and removes its folder, leaving live runs alone', async () => {
    // A "dead run": a temp stack folder whose owner pid has exited, with its server still up. It
    // sits in a folder of its own: every test stack starting meanwhile (other packages' suites run
    // in parallel under turbo) sweeps the shared temp folder and could take this one first.
    const parent = await fs.mkdtemp(path.join(os.tmpdir(), 'sweep-test-'));
    await fs.chmod(parent, 0o755);
    const dead = await fs.mkdtemp(path.join(parent, 'tripcast-test-'));
    await fs.chmod(dead, 0o755);
    const gone = spawn('true');
    await new Promise((resolve) => gone.once('exit', resolve));
    await fs.writeFile(path.join(dead, 'owner.pid'), `${gone.pid}\n`);
    const orphan = await startPostgres({ dataDir: path.join(dead, 'pg'), port: 0, durable: false });

    const live = await fs.mkdtemp(path.join(parent, 'tripcast-test-'));
    await fs.writeFile(path.join(live, 'owner.pid'), `${process.pid}\n`);

    expect(await sweepAbandonedTestStacks(parent)).toBe(1);
    expect(existsSync(dead)).toBe(false);
    expect(() => process.kill(orphan.pid, 0)).toThrow();
    // A live run's folder (owner alive) is left alone.
    expect(existsSync(path.join(live, 'owner.pid'))).toBe(true);
    await fs.rm(parent, { recursive: true, force: true });
  });
});
