export { startPostgres, POSTGRES_MAJOR } from './postgres';
export type { TPostgresServer, TStartPostgresOptions } from './postgres';
export { startKinesis, ensureStreams } from './kinesis';
export type { TKinesisServer, TStartKinesisOptions, TStreamSpec } from './kinesis';
export { startS3 } from './s3';
export type { TS3Server, TStartS3Options } from './s3';
export { createLocalKinesisClient, createLocalS3Client, LOCAL_AWS_CREDENTIALS } from './aws';
export type { TLocalAws } from './aws';
export { getFreePort, isPortFree, PortInUseError } from './net';
