import fs from 'node:fs/promises';
import path from 'node:path';

/** Where the local stack keeps its state under TRIPCAST_HOME. */
export function resolveHomeLayout(home: string) {
  const root = path.resolve(home);
  return {
    root,
    postgres: path.join(root, 'pg'),
    kinesis: path.join(root, 'kinesis'),
    store: path.join(root, 'store'),
    logs: path.join(root, 'logs'),
    envFile: path.join(root, 'env'),
    lockFile: path.join(root, 'supervisor.pid'),
  };
}

export type THomeLayout = ReturnType<typeof resolveHomeLayout>;

/**
 * Top-level prefixes of the object store, the same under a local folder and under
 * s3://bucket[/prefix] (the README's OBJECT_STORE_URI):
 * models/<name>/<version>/{model.onnx,card.json}, trip-data/..., predictions/taxi_type=<t>/year=<YYYY>/month=<MM>/<run_id>.parquet, rejects/...
 */
export const OBJECT_STORE_PREFIXES = ['models', 'trip-data', 'predictions', 'rejects'] as const;

/** Creates the local object-store folder with its top-level layout (idempotent). */
export async function ensureObjectStoreFolder(root: string): Promise<void> {
  await Promise.all(
    OBJECT_STORE_PREFIXES.map((prefix) => fs.mkdir(path.join(root, prefix), { recursive: true })),
  );
}

/** Quotes a value for POSIX sh: inside single quotes nothing is special except the quote itself. */
function quoteForShell(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** Renders `export NAME='value'` lines, in the given order, for `source <TRIPCAST_HOME>/env`. */
export function renderEnvFile(env: Record<string, string>, header: string): string {
  const lines = Object.entries(env).map(
    ([name, value]) => `export ${name}=${quoteForShell(value)}`,
  );
  return `${header
    .split('\n')
    .map((line) => `# ${line}`)
    .join('\n')}\n${lines.join('\n')}\n`;
}

/** Writes the env file atomically (readers never see half a file); mode 600 as it holds credentials. */
export async function writeEnvFile(
  file: string,
  env: Record<string, string>,
  header: string,
): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(temp, renderEnvFile(env, header), { mode: 0o600 });
  await fs.rename(temp, file);
}
