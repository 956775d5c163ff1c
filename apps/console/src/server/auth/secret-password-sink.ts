// The first admin's password into a Secrets Manager secret (on AWS). Terraform creates the secret
// empty and names it in its outputs; the console task may only put a value into that one secret.
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { TFirstAdminCredentials, TPasswordSink } from './first-admin';

/**
 * Stores `{email, password, sign_in_url}` as the secret's new current version. A second first
 * admin (after the users table was emptied by hand) simply becomes a newer version.
 */
export function createSecretsManagerPasswordSink(options: {
  secretId: string;
  client?: SecretsManagerClient;
}): TPasswordSink {
  const client = options.client ?? new SecretsManagerClient({});
  return {
    async store({ email, password, signInUrl }: TFirstAdminCredentials) {
      await client.send(
        new PutSecretValueCommand({
          SecretId: options.secretId,
          SecretString: JSON.stringify({ email, password, sign_in_url: signInUrl }),
        }),
      );
    },
    describe: () => `Secrets Manager secret ${options.secretId}`,
  };
}
