import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/** Where the local AWS-compatible servers listen and how to sign requests to them. */
export type TLocalAws = {
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  s3: { endpoint: string };
  kinesis: { endpoint: string };
};

/** s3rver only accepts its own fixed key pair; kinesalite accepts any. */
export const LOCAL_AWS_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export function createLocalS3Client(
  aws: Pick<TLocalAws, 'region' | 'credentials' | 's3'>,
): S3Client {
  // Local endpoints have no per-bucket DNS names, so buckets go in the path.
  return new S3Client({
    region: aws.region,
    credentials: aws.credentials,
    endpoint: aws.s3.endpoint,
    forcePathStyle: true,
  });
}

export function createLocalKinesisClient(
  aws: Pick<TLocalAws, 'region' | 'credentials' | 'kinesis'>,
): KinesisClient {
  // The SDK's default HTTP/2 handler fails against plain http:// endpoints (ERR_HTTP2_ERROR).
  return new KinesisClient({
    region: aws.region,
    credentials: aws.credentials,
    endpoint: aws.kinesis.endpoint,
    requestHandler: new NodeHttpHandler(),
  });
}
