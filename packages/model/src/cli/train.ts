import { parseArgs } from 'node:util';

import { getCliEnv, s3OptionsFromEnv } from '../env';
import { ZModelName, ZModelVersion } from '../model-card';
import { parseCliOption } from './options';
import { DEFAULT_SOLVER, TRAINING_SOLVERS, type TTrainingSolver } from '../training/solvers';
import type { TLocalFile } from '../trips/source';

const HELP = `Train the course's trip-duration model (one-hot PU_DO + trip_distance, linear least squares)
and export it as ONNX with its card.

Usage: npm run train -w @tripcast/model -- --train <month> [--train <month> ...] [options]

A <month> is a TLC Parquet file: a local path, s3://bucket/key (S3_ENDPOINT_URL honoured) or https://.

Options:
  --train <month>       training month (repeat for several)
  --validation <month>  month to report RMSE/MAE on (the course: green 2021-02)
  --name <name>         model name (default $MODEL_NAME or ride_duration_prediction_model)
  --version <version>   version label (default: UTC timestamp + sha256 prefix)
  --solver <s>          ${TRAINING_SOLVERS.join(' | ')} (default ${DEFAULT_SOLVER}); sklearn = what the course's
                        LinearRegression returns (SciPy lsqr, tol 1e-6); exact = exact least squares
  --out <dir|s3://...>  write model.onnx and card.json there
  --register            register the version in the model store and database (needs DATABASE_URL;
                        artifacts go to $OBJECT_STORE_URI/models/<name>/<version>/)
  --promote             with --register: also make it the production version
  -h, --help            show this help

Example (the course's experiment):
  npm run train -w @tripcast/model -- \\
    --train https://d37ci6vzurychx.cloudfront.net/trip-data/green_tripdata_2021-01.parquet \\
    --validation https://d37ci6vzurychx.cloudfront.net/trip-data/green_tripdata_2021-02.parquet \\
    --out ./model
`;

async function main() {
  const { values } = parseArgs({
    options: {
      train: { type: 'string', multiple: true },
      validation: { type: 'string' },
      name: { type: 'string' },
      version: { type: 'string' },
      solver: { type: 'string', default: DEFAULT_SOLVER },
      out: { type: 'string' },
      register: { type: 'boolean', default: false },
      promote: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  if (!values.train?.length) throw new Error('give at least one --train month (see --help)');
  // Name and version become folders of the store: check them before minutes of training.
  const name = parseCliOption(ZModelName, '--name', values.name);
  const version = parseCliOption(ZModelVersion, '--version', values.version);
  if (!TRAINING_SOLVERS.includes(values.solver as TTrainingSolver))
    throw new Error(`--solver must be one of ${TRAINING_SOLVERS.join(', ')}`);
  if (!values.out && !values.register)
    throw new Error('give --out <dir> and/or --register, or the model would be thrown away');
  const env = getCliEnv();
  const s3 = s3OptionsFromEnv(env);
  // Heavy modules (DuckDB, onnxruntime, the AWS SDK) load after argument checks: --help is instant.
  const [
    { joinUri, writeObject },
    { CARD_FILE, MODEL_FILE },
    { trainModel },
    { localizeTripFile },
  ] = await Promise.all([
    import('../object-store'),
    import('../runtime'),
    import('../training/train'),
    import('../trips/source'),
  ]);

  const local: TLocalFile[] = [];
  try {
    for (const uri of values.train) local.push(await localizeTripFile(uri, { s3 }));
    const validation = values.validation
      ? await localizeTripFile(values.validation, { s3 })
      : undefined;
    if (validation) local.push(validation);
    let lastLog = 0;
    const { onnx, card } = await trainModel({
      trainFiles: local.filter((f) => f !== validation).map((f) => f.path),
      validationFile: validation?.path,
      name: name ?? env.MODEL_NAME,
      version,
      solver: values.solver as TTrainingSolver,
      sourceUris: Object.fromEntries(local.map((f) => [f.path, f.uri])),
      onProgress: ({ phase, file, rowsRead }) => {
        if (performance.now() - lastLog < 1000) return;
        lastLog = performance.now();
        console.log(`${phase}: ${file} ${rowsRead.toLocaleString('en-US')} rows read`);
      },
    });
    const train = card.metrics.train;
    const val = card.metrics.validation;
    console.log(
      `trained ${card.name} ${card.version} on ${train?.rows.toLocaleString('en-US')} trips in ${card.training?.trainSeconds?.toFixed(2)} s`,
    );
    console.log(`  train RMSE ${train?.rmse.toFixed(4)} min`);
    if (val)
      console.log(
        `  validation RMSE ${val.rmse.toFixed(4)} min, MAE ${val.mae?.toFixed(4)} min on ${val.rows.toLocaleString('en-US')} trips (unseen pairs ${((val.unseenPairShare ?? 0) * 100).toFixed(1)}%)`,
      );
    if (values.out) {
      await writeObject(joinUri(values.out, MODEL_FILE), onnx, { s3 });
      await writeObject(joinUri(values.out, CARD_FILE), `${JSON.stringify(card, null, 2)}\n`, {
        s3,
      });
      console.log(`wrote ${joinUri(values.out, MODEL_FILE)} and ${CARD_FILE}`);
    }
    if (values.register) {
      const { registerFromCli } = await import('./register');
      await registerFromCli({ env, onnx, card, promote: values.promote });
    }
  } finally {
    await Promise.all(local.map((f) => f.cleanup()));
  }
}

main().catch((error: unknown) => {
  console.error(`train: ${(error as Error).message}`);
  process.exit(1);
});
