import { parseArgs } from 'node:util';

import { getCliEnv } from '../env';
import { s3OptionsFromEnv } from '../object-store';

const HELP = `Make sure a production model exists (first start of the platform). Run by \`npm start\` after migrations.

Usage: npm run bootstrap -w @tripcast/model [-- --rows <N>]

If $MODEL_NAME already has a production version, nothing happens. Otherwise the newest registered
version is promoted, or a model is trained and registered from, in order:
  1. the first yellow/green TLC month in $TLC_DATA_DIR (e.g. ../shared/data),
  2. the TLC's green 2021-01 downloaded from ${'https://d37ci6vzurychx.cloudfront.net'} (20 s timeout;
     opt out with TRIPCAST_NO_DOWNLOAD=true),
  3. a generated green 2021-01 month (--rows trips, default 200000).
The month is also copied to $OBJECT_STORE_URI/trip-data/ so a batch run has something to score.

Environment: DATABASE_URL (required), OBJECT_STORE_URI (default $TRIPCAST_HOME/store), S3_ENDPOINT_URL,
AWS_REGION, MODEL_NAME, TLC_DATA_DIR, TRIPCAST_NO_DOWNLOAD, TRIPCAST_ACTOR.
`;

async function main() {
  const { values } = parseArgs({
    options: { rows: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const env = getCliEnv();
  // Prisma, onnxruntime and DuckDB load after argument parsing: --help is instant.
  const [{ createDbClient }, { ensureDefaultModel }] = await Promise.all([
    import('@tripcast/db/client'),
    import('../default-model'),
  ]);
  if (!env.DATABASE_URL)
    throw new Error(
      'DATABASE_URL is required (the local stack sets it; or source <TRIPCAST_HOME>/env)',
    );
  const rows = values.rows === undefined ? undefined : Number(values.rows);
  if (rows !== undefined && !(Number.isInteger(rows) && rows > 0))
    throw new Error('--rows must be a positive integer');
  const db = createDbClient(env.DATABASE_URL, { max: 2, applicationName: 'tripcast-bootstrap' });
  try {
    const result = await ensureDefaultModel({
      db,
      storeUri: env.objectStoreUri,
      s3: s3OptionsFromEnv(env),
      name: env.MODEL_NAME,
      actor: env.TRIPCAST_ACTOR ?? 'bootstrap',
      tlcDataDir: env.TLC_DATA_DIR,
      allowDownload: !env.TRIPCAST_NO_DOWNLOAD,
      generatedRows: rows,
      log: (message) => console.log(`bootstrap: ${message}`),
    });
    console.log(
      `bootstrap: production model ${result.row.name}@${result.row.version} (${result.action})`,
    );
  } finally {
    await db.$disconnect();
  }
}

main().catch((error: unknown) => {
  console.error(`bootstrap: ${(error as Error).message}`);
  process.exit(1);
});
