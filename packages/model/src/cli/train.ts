import { parseArgs } from 'node:util';

import { getCliEnv } from '../env';
import { s3OptionsFromEnv } from '../object-store';
import { ZModelName, ZModelVersion } from '../model-card';
import { parseCliOption } from './options';
import { resolveUserPath } from '../user-path';
import { DEFAULT_SOLVER, TRAINING_SOLVERS, type TTrainingSolver } from '../training/solvers';
import { DEFAULT_ADDITIVE_PARAMS, type TAdditiveParams } from '../training/additive-fit';
import {
  DEFAULT_RECIPE,
  TRAINING_RECIPES,
  ZZonesParams,
  type TTrainingRecipe,
} from '../training/recipes';

/** `--param k=v` overrides, checked against the defaults' names and types. */
function parseRecipeParams(pairs: string[], noTime: boolean): Partial<TAdditiveParams> {
  const params: Record<string, unknown> = noTime ? { useTime: false } : {};
  for (const pair of pairs) {
    const [key, raw] = pair.split('=', 2) as [string, string | undefined];
    if (!(key in DEFAULT_ADDITIVE_PARAMS) || raw === undefined)
      throw new Error(
        `--param ${pair}: expected name=value with a name of ${Object.keys(DEFAULT_ADDITIVE_PARAMS).join(', ')}`,
      );
    const fallback = DEFAULT_ADDITIVE_PARAMS[key as keyof TAdditiveParams];
    const value =
      typeof fallback === 'boolean'
        ? raw === 'true'
        : Array.isArray(fallback)
          ? raw.split(',').map(Number)
          : Number(raw);
    if (
      (typeof value === 'number' && !Number.isFinite(value)) ||
      (Array.isArray(value) && value.some((v) => !Number.isFinite(v)))
    )
      throw new Error(
        `--param ${pair}: ${key} must be a number${Array.isArray(fallback) ? ' list (comma-separated)' : ''}`,
      );
    params[key] = value;
  }
  // The same rules as the console's training form (ranges, increasing knots).
  const checked = ZZonesParams.safeParse(params);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    throw new Error(`--param ${String(issue.path[0] ?? '')}: ${issue.message}`);
  }
  return checked.data;
}
import type { TLocalFile } from '../trips/source';

const HELP = `Train a trip-duration model and export it as ONNX with its card.

Recipes:
  zones   (default) ridge additive model over pair / zone / borough lookup tables, a distance curve
          and (unless --no-time) the pickup hour of week; see packages/model/README.md
  course  the course's LinearRegression on one-hot PU_DO + trip_distance, reproduced exactly

Usage: npm run train -w @tripcast/model -- --train <month> [--train <month> ...] [options]

A <month> is a TLC Parquet or CSV file (.parquet, .csv, .csv.gz): a local path (relative to the
folder you ran npm from), s3://bucket/key (S3_ENDPOINT_URL honoured) or https://.

Options:
  --train <month>       training month (repeat for several)
  --validation <month>  month to report RMSE/MAE on (the course: green 2021-02)
  --name <name>         model name (default $MODEL_NAME or ride_duration_prediction_model)
  --version <version>   version label (default: UTC timestamp + sha256 prefix)
  --recipe <r>          ${TRAINING_RECIPES.join(' | ')} (default ${DEFAULT_RECIPE})
  --no-time             zones: do not use the pickup time (hour of week)
  --param <k=v>         zones: override a hyper-parameter (repeat), e.g. --param lambdaPair=3
                        (names and defaults: ${Object.entries(DEFAULT_ADDITIVE_PARAMS)
                          .map(([k, v]) => `${k}=${String(v)}`)
                          .join(' ')})
  --solver <s>          course: ${TRAINING_SOLVERS.join(' | ')} (default ${DEFAULT_SOLVER}); sklearn = what the course's
                        LinearRegression returns (SciPy lsqr, tol 1e-6); exact = exact least squares
  --out <dir|s3://...>  write model.onnx and card.json there
  --register            register the version in the model store and database (needs DATABASE_URL;
                        artifacts go to $OBJECT_STORE_URI/models/<name>/<version>/)
  --promote             with --register: also make it the production version
  --job-id <id>         report into this training job (table training_jobs; needs DATABASE_URL and
                        --register, refuses --promote): claims it, sends phase, progress and these
                        log lines with a heartbeat, and records the registered version and its card
                        or the error. The console's training launcher starts train this way.
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
      recipe: { type: 'string', default: DEFAULT_RECIPE },
      'no-time': { type: 'boolean', default: false },
      param: { type: 'string', multiple: true },
      out: { type: 'string' },
      register: { type: 'boolean', default: false },
      promote: { type: 'boolean', default: false },
      'job-id': { type: 'string' },
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
  if (!TRAINING_RECIPES.includes(values.recipe as TTrainingRecipe))
    throw new Error(`--recipe must be one of ${TRAINING_RECIPES.join(', ')}`);
  const params = parseRecipeParams(values.param ?? [], values['no-time']);
  if (!values.out && !values.register)
    throw new Error('give --out <dir> and/or --register, or the model would be thrown away');
  const jobId = values['job-id'];
  if (jobId !== undefined) {
    if (!values.register) throw new Error('--job-id needs --register (a job registers its model)');
    if (values.promote)
      throw new Error('--job-id refuses --promote: a training job registers a candidate, never production');
  }
  const env = getCliEnv();
  if (jobId !== undefined && !env.DATABASE_URL)
    throw new Error('--job-id needs DATABASE_URL (the job row lives in Postgres)');
  const s3 = s3OptionsFromEnv(env);
  // Relative paths are the user's: npm runs this script inside packages/model (see resolveUserPath).
  const trainUris = values.train.map((uri) => resolveUserPath(uri, env.userDir));
  const validationUri = values.validation && resolveUserPath(values.validation, env.userDir);
  const out = values.out && resolveUserPath(values.out, env.userDir);
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

  // With --job-id every line also goes to the job row, and the job is claimed before the months
  // are fetched (the console shows "running" while a big month downloads).
  const reporter =
    jobId === undefined
      ? undefined
      : await (
          await import('./job-reporter')
        ).startJobReporter({
          databaseUrl: env.DATABASE_URL!,
          jobId,
          trainFileCount: trainUris.length,
        });
  const log = reporter ? (line: string) => reporter.log(line) : (line: string) => console.log(line);
  const local: TLocalFile[] = [];
  try {
    if (reporter) await reporter.phase('reading months');
    for (const uri of trainUris) {
      log(`reading ${uri}`);
      local.push(await localizeTripFile(uri, { s3 }));
    }
    const validation = validationUri
      ? await localizeTripFile(validationUri, { s3 })
      : undefined;
    if (validation) local.push(validation);
    const trainFiles = local.filter((f) => f !== validation);
    const uriOf = (file: string) => local.find((f) => f.path === file)?.uri ?? file;
    let lastLog = 0;
    const { onnx, card } = await trainModel({
      trainFiles: trainFiles.map((f) => f.path),
      validationFile: validation?.path,
      name: name ?? env.MODEL_NAME,
      version,
      solver: values.solver as TTrainingSolver,
      recipe: values.recipe as TTrainingRecipe,
      params,
      sourceUris: Object.fromEntries(local.map((f) => [f.path, f.uri])),
      onProgress: (event) => {
        const fileIndex =
          'file' in event ? trainFiles.findIndex((f) => f.path === event.file) : 0;
        reporter?.onTrainProgress(event, Math.max(0, fileIndex));
        if (!('file' in event)) {
          log(event.phase === 'fit' ? 'fitting' : 'exporting ONNX and checking it in onnxruntime');
          return;
        }
        if (performance.now() - lastLog < 1000) return;
        lastLog = performance.now();
        log(`${event.phase}: ${uriOf(event.file)} ${event.rowsRead.toLocaleString('en-US')} rows read`);
      },
    });
    const train = card.metrics.train;
    const val = card.metrics.validation;
    log(
      `trained ${card.name} ${card.version} on ${train?.rows.toLocaleString('en-US')} trips in ${card.training?.trainSeconds?.toFixed(2)} s`,
    );
    log(`  train RMSE ${train?.rmse.toFixed(4)} min`);
    if (val)
      log(
        `  validation RMSE ${val.rmse.toFixed(4)} min, MAE ${val.mae?.toFixed(4)} min on ${val.rows.toLocaleString('en-US')} trips (unseen pairs ${((val.unseenPairShare ?? 0) * 100).toFixed(1)}%)`,
      );
    const detail = card.metrics.validationDetail;
    if (detail) {
      log(`  validation bias ${detail.bias.toFixed(4)} min (predicted - actual)`);
      log('  by distance:');
      for (const b of detail.byDistance)
        log(
          `    ${b.band.padEnd(9)} rows ${String(b.rows).padStart(8)}  RMSE ${b.rmse.toFixed(3)}  MAE ${b.mae.toFixed(3)}  bias ${b.bias.toFixed(3)}`,
        );
      log('  by borough pair (largest 10):');
      for (const b of detail.byBoroughPair.slice(0, 10))
        log(
          `    ${b.boroughs.padEnd(28)} rows ${String(b.rows).padStart(8)}  RMSE ${b.rmse.toFixed(3)}  MAE ${b.mae.toFixed(3)}  bias ${b.bias.toFixed(3)}`,
        );
    }
    if (out) {
      await writeObject(joinUri(out, MODEL_FILE), onnx, { s3 });
      await writeObject(joinUri(out, CARD_FILE), `${JSON.stringify(card, null, 2)}\n`, {
        s3,
      });
      log(`wrote ${joinUri(out, MODEL_FILE)} and ${CARD_FILE}`);
    }
    if (values.register) {
      if (reporter) await reporter.phase('registering');
      const { registerFromCli } = await import('./register');
      await registerFromCli({ env, onnx, card, promote: values.promote, log });
    }
    await reporter?.complete({ modelVersion: card.version, card });
  } catch (error) {
    if (reporter) {
      const message = error instanceof Error ? error.message : String(error);
      log(`train: ${message}`);
      await reporter.fail(message).catch(() => undefined);
    }
    throw error;
  } finally {
    await reporter?.close();
    await Promise.all(local.map((f) => f.cleanup()));
  }
}

main().catch((error: unknown) => {
  console.error(`train: ${(error as Error).message}`);
  process.exit(1);
});
