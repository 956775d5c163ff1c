// The consumer Lambda's handler module (CMD "lambda-entry.handler" in the image).
//
// Lambda cannot inject a Secrets Manager secret into the environment the way ECS does, and the
// consumer reads DATABASE_URL once at load (apps/stream-consumer/src/env.ts). So this module
// runs first, during the function's init phase (top-level await, once per execution
// environment): it reads the `database_url` key of DATABASE_SECRET_ARN, puts it in
// process.env.DATABASE_URL, and only then loads the real handler. A DATABASE_URL set directly
// (e.g. a local `docker run`) is used as is.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

async function readDatabaseUrl(secretArn) {
  // The Lambda Node.js runtime ships AWS SDK v3 in /var/runtime/node_modules, reachable
  // through NODE_PATH by require() (not by ESM import), so the image does not carry its own copy.
  const {
    SecretsManagerClient,
    GetSecretValueCommand,
  } = require('@aws-sdk/client-secrets-manager');
  const client = new SecretsManagerClient({});
  const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
  const url = SecretString ? JSON.parse(SecretString).database_url : undefined;
  if (typeof url !== 'string' || url === '')
    throw new Error(`secret ${secretArn} has no database_url key`);
  return url;
}

if (!process.env.DATABASE_URL) {
  const secretArn = process.env.DATABASE_SECRET_ARN;
  if (!secretArn)
    throw new Error(
      'set DATABASE_URL, or DATABASE_SECRET_ARN naming a secret with a database_url key',
    );
  process.env.DATABASE_URL = await readDatabaseUrl(secretArn);
}

const consumer = await import('./apps/stream-consumer/src/lambda.mjs');

export const handler = consumer.handler;
