// The `scorer` command line: a thin adapter that turns flags and env into calls of scoreMonth,
// runBackfill, the schedule and the reaper. All flags have env equivalents for containers.
import os from 'node:os';

import { Command, InvalidArgumentError, Option } from 'commander';
import { Cron } from 'croner';
import { ZTaxiType } from '@tripcast/model';
import { objectExists, resolveUserPath, s3OptionsFromEnv } from '@tripcast/model/object-store';
import type { Logger } from 'pino';
import type pg from 'pg';

import { runBackfill, type TMonthOutcome } from './backfill';
import { previousUtcDay, runDriftJob } from './drift-job';
import { driftThresholdsFromEnv, type TScorerEnv } from './env';
import { checkMonth, formatMonth, listMonths, parseMonth, previousMonthOf, type TMonth } from './month';
import { resolveRunLocations, type TTaxiType } from './paths';
import { createProgressReporter } from './progress';
import { createChallengerLoader, createModelLoader, parseModelRef } from './resolve-model';
import { checkRunId, createRunId, scheduledRunId } from './run-id';
import { announceRunFinished, createRunFinishedNotifier } from './run-events';
import { reapStaleRuns, type TRunTrigger } from '@tripcast/db/queries/runs';
import { createPool, writePredictionsToPostgres } from './runtime-deps';
import { scoreMonth, ScoreRunError, type TScoreResult } from './score-month';
import { findStoreMonth } from './store-months';
import { VALIDATION_POLICIES, type TValidationPolicy } from '@tripcast/model/trips';

export type TProgramContext = {
  env: TScorerEnv;
  log: Logger;
  isTty: boolean;
  stdout: (text: string) => void;
};

type TCommonOptions = {
  taxiType: TTaxiType;
  input?: string;
  output?: string;
  rejects?: string;
  model: string;
  modelLocation?: string;
  db: boolean;
  challengers: boolean;
  challengerLocation: string[];
  json?: boolean;
  force?: boolean;
  validation: TValidationPolicy;
};

const TAXI_TYPES = ZTaxiType.options;

function parseIntOption(name: string) {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n)) throw new InvalidArgumentError(`${name} must be an integer`);
    return n;
  };
}

function addCommonOptions(command: Command, env: TScorerEnv): Command {
  return command
    .addOption(
      new Option('-t, --taxi-type <type>', 'TLC taxi type (env TAXI_TYPE)').choices(TAXI_TYPES).default(env.TAXI_TYPE ?? 'green'),
    )
    .addOption(
      new Option(
        '-i, --input <uri-or-pattern>',
        'input TLC month, Parquet or CSV (.csv, .csv.gz): a path (relative to where you ran the command) or s3:// URI; ' +
          'may use {taxi_type} {year:04d} {month:02d} (env INPUT_FILE_PATTERN). ' +
          'Default the store\'s <store>/trip-data/{taxi_type}_tripdata_{year:04d}-{month:02d}.parquet (or .csv.gz, .csv)',
      ).default(env.INPUT_FILE_PATTERN),
    )
    .addOption(
      new Option(
        '-o, --output <uri-or-pattern>',
        'output: a file ending in .parquet (course form) or a root under which taxi_type=<t>/year=<YYYY>/month=<MM>/<run_id>.parquet ' +
          'is written; same fields as --input plus {run_id} (env OUTPUT_FILE_PATTERN). Default <store>/predictions',
      ).default(env.OUTPUT_FILE_PATTERN),
    )
    .option('--rejects <uri-or-pattern>', 'where rejected rows go: a .parquet file or a root (default <store>/rejects, or <output>.rejects.parquet beside a course-form output file)')
    .addOption(
      new Option('-m, --model <name[@version]>', 'registry model; without @version the production version (env MODEL_NAME)').default(
        env.MODEL_NAME,
      ),
    )
    .addOption(
      new Option('--model-location <uri>', 'a model folder or s3:// prefix holding model.onnx + card.json, bypassing the registry (env MODEL_LOCATION)').default(
        env.MODEL_LOCATION,
      ),
    )
    .addOption(
      new Option(
        '--validation <policy>',
        "course: score every trip of 1..60 min as the course's score.py does, flagging zero or over-500-mile distances and " +
          'pickups outside the month (counted in the run, column anomaly in Postgres); strict: reject those rows too',
      )
        .choices(VALIDATION_POLICIES)
        .default('course'),
    )
    .option('--no-db', 'write Parquet only: no run record, no Postgres rows (also the default without DATABASE_URL)')
    .option('--no-challengers', "score with production only (by default the registry's challengers score beside it)")
    .option(
      '--challenger-location <uri>',
      "a model folder or s3:// prefix to score beside production as a challenger, instead of the registry's (repeatable)",
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option('--force', 'take over a run id still marked running (its process was killed) without waiting for its heartbeat to go stale')
    .option('--json', 'print the result as JSON on stdout');
}

export function createProgram(context: TProgramContext): Command {
  const { env } = context;
  const program = new Command('scorer')
    .description(
      'Tripcast batch scorer: scores a month of TLC trips with the trip-duration model, writes predictions to Parquet and Postgres, and records the run.',
    )
    .showHelpAfterError()
    .addHelpText(
      'after',
      `
Environment:
  DATABASE_URL           Postgres for run records and predictions (without it: Parquet only)
  OBJECT_STORE_URI       store root, a folder or s3://bucket[/prefix] (default $TRIPCAST_HOME/store)
  S3_ENDPOINT_URL        S3-compatible endpoint (path-style), e.g. http://localhost:4566
  INPUT_FILE_PATTERN     default for --input      OUTPUT_FILE_PATTERN  default for --output
  MODEL_NAME             default for --model      MODEL_LOCATION       default for --model-location
  TAXI_TYPE              default for --taxi-type  DATE                 container form: score the month before YYYY-MM-DD
  SCORER_SCHEDULE        cron of \`scorer schedule\` (default '0 3 2 * *')
  SCORER_DRIFT_SCHEDULE  cron of the daily online/stream drift job in \`scorer schedule\` (default '15 2 * * *')
  DRIFT_PSI_WATCH, DRIFT_PSI_ALERT, DRIFT_UNSEEN_PAIR_WATCH, DRIFT_UNSEEN_PAIR_ALERT, DRIFT_MIN_ROWS
                         drift thresholds (defaults 0.1, 0.25, 0.05, 0.10, 500 rides)
  LOG_LEVEL              pino level (default info); logs are JSON on stderr

Examples:
  scorer run --taxi-type green --year 2021 --month 2
  DATE=2021-03-01 scorer run              # scores 2021-02, as the scheduled container does
  INPUT_FILE_PATTERN='s3://nyc-tlc/{taxi_type}_tripdata_{year:04d}-{month:02d}.parquet' \\
  OUTPUT_FILE_PATTERN='s3://nyc-duration/{taxi_type}/{year:04d}-{month:02d}.parquet' scorer run --year 2021 --month 3
  scorer backfill --from 2021-01 --to 2021-06 --taxi-type yellow
  scorer schedule                         # 03:00 on the 2nd of each month, scores the previous month
                                          # (and daily at 02:15 measures yesterday's online/stream drift)
  scorer drift --day 2026-12-03           # drift of that UTC day's online and stream predictions per model version`,
    );

  const runCommand = addCommonOptions(
    new Command('run')
      .description('score one month (by --year/--month, or --date / DATE = the month before that date)')
      .option('-y, --year <YYYY>', 'year of the month to score', parseIntOption('--year'))
      .option('-M, --month <M>', 'month to score, 1..12', parseIntOption('--month'))
      .addOption(new Option('-d, --date <YYYY-MM-DD>', 'score the month before this date (env DATE)').default(env.DATE))
      .option('-r, --run-id <id>', 'run id; rerunning an id replaces its output and rows (default: new id)')
      .addOption(new Option('--trigger <trigger>', 'who started it, recorded in the run').choices(['manual', 'schedule', 'backfill', 'cli']).default('cli')),
    env,
  ).action(async (options: TCommonOptions & { year?: number; month?: number; date?: string; runId?: string; trigger: TRunTrigger }) => {
    const month = monthFromOptions(options);
    const runId = options.runId ? checkRunId(options.runId) : createRunId(options.taxiType, month);
    const result = await withRunDeps(context, options, (runOne) => runOne({ month, runId, trigger: options.trigger }));
    printResult(context, options, result);
  });

  const backfillCommand = addCommonOptions(
    new Command('backfill')
      .description('score every month from --from to --to (both included), in order, one run each')
      .requiredOption('--from <YYYY-MM>', 'first month', parseMonthOption)
      .requiredOption('--to <YYYY-MM>', 'last month', parseMonthOption),
    env,
  ).action(async (options: TCommonOptions & { from: TMonth; to: TMonth }) => {
    const months = listMonths(options.from, options.to);
    const backfillId = `backfill-${createRunId(options.taxiType, options.from)}`;
    const outcomes = await withRunDeps(context, options, (runOne) =>
      runBackfill({
        months,
        runMonth: (month) => {
          const runId = createRunId(options.taxiType, month);
          return Promise.resolve({ runId, run: () => runOne({ month, runId, trigger: 'backfill', backfillId }) });
        },
        onOutcome: (outcome) => reportOutcome(context, outcome),
      }),
    );
    if (options.json) context.stdout(JSON.stringify(outcomes.map(({ month, runId, status, ...rest }) => ({ month, runId, status, error: 'error' in rest ? rest.error : undefined }))));
    const failed = outcomes.filter((o) => o.status === 'failed');
    if (failed.length > 0) throw new Error(`${failed.length} of ${outcomes.length} months failed: ${failed.map((f) => f.month).join(', ')}`);
  });

  const scheduleCommand = addCommonOptions(
    new Command('schedule')
      .description('run the monthly schedule in this process: at each tick score the previous month (and reap runs whose heartbeat stopped)')
      .addOption(new Option('--cron <expr>', 'cron expression, UTC (env SCORER_SCHEDULE)').default(env.SCORER_SCHEDULE))
      .addOption(
        new Option('--taxi-types <list>', 'comma-separated taxi types scored at each tick (env SCORER_SCHEDULE_TAXI_TYPES)').default(
          env.SCORER_SCHEDULE_TAXI_TYPES,
        ),
      )
      .option('--run-now', 'also score the previous month once at start'),
    env,
  ).action(async (options: TCommonOptions & { cron: string; taxiTypes: string; runNow?: boolean }) => {
    const taxiTypes = options.taxiTypes.split(',').map((t) => t.trim()) as TTaxiType[];
    for (const t of taxiTypes) if (!TAXI_TYPES.includes(t)) throw new Error(`--taxi-types: unknown taxi type "${t}"`);
    await runSchedule(context, options, taxiTypes);
  });

  const reapCommand = new Command('reap')
    .description('mark failed every run whose heartbeat stopped (the scheduler also does this every minute)')
    .action(async () => {
      if (!env.DATABASE_URL) throw new Error('DATABASE_URL is required to reap runs');
      const pool = createPool(env.DATABASE_URL);
      try {
        const reaped = await reapStaleRuns(pool, { staleAfterMs: env.SCORER_STALE_AFTER_MS });
        context.stdout(reaped.length ? `marked failed: ${reaped.join(', ')}` : 'no stale runs');
      } finally {
        await pool.end();
      }
    });

  const driftCommand = new Command('drift')
    .description(
      "measure input and prediction drift of one UTC day of online and stream predictions (prediction_history) per model version against each version's training reference; stores model_drift rows and raises alerts",
    )
    .option('--day <YYYY-MM-DD>', 'the UTC day to measure (default: yesterday)', parseDayOption)
    .option('--json', 'print the results as JSON on stdout')
    .action(async (options: { day?: string; json?: boolean }) => {
      const day = options.day ?? previousUtcDay(new Date());
      const results = await runDriftJob({ env, log: context.log, day });
      if (options.json) {
        context.stdout(JSON.stringify(results));
        return;
      }
      if (results.length === 0) context.stdout(`no scored online or stream predictions on ${day}`);
      for (const r of results) {
        const outcome = r.report
          ? `${r.report.status}, max PSI ${r.report.maxPsi}${r.report.reasons.length ? ` (${r.report.reasons.join('; ')})` : ''}`
          : `not measured: ${r.reason}`;
        context.stdout(`${day} ${r.source} ${r.modelName}@${r.modelVersion} (${r.role}): ${r.rows} rides, ${outcome}`);
      }
    });

  program.addCommand(runCommand).addCommand(backfillCommand).addCommand(scheduleCommand).addCommand(reapCommand).addCommand(driftCommand);
  return program;
}

function parseDayOption(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) !== value) {
    throw new InvalidArgumentError('--day must be a UTC day YYYY-MM-DD');
  }
  return value;
}

function parseMonthOption(value: string): TMonth {
  try {
    return parseMonth(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

function monthFromOptions(options: { year?: number; month?: number; date?: string }): TMonth {
  if (options.year !== undefined || options.month !== undefined) {
    if (options.year === undefined || options.month === undefined) throw new Error('give both --year and --month (or --date)');
    try {
      return checkMonth({ year: options.year, month: options.month });
    } catch {
      throw new Error(`--year ${options.year} --month ${options.month} is not a month (year 2009..2100, month 1..12)`);
    }
  }
  if (options.date) return previousMonthOf(options.date);
  throw new Error('which month? give --year and --month, or --date YYYY-MM-DD (env DATE) to score the month before it');
}

type TRunOne = (run: { month: TMonth; runId: string; trigger: TRunTrigger; backfillId?: string }) => Promise<TScoreResult>;

/** Opens the pool and COPY writer once for a command, hands out a function that scores one month. */
async function withRunDeps<T>(context: TProgramContext, options: TCommonOptions, body: (runOne: TRunOne) => Promise<T>): Promise<T> {
  const { env, log } = context;
  const useDb = options.db && Boolean(env.DATABASE_URL);
  if (options.db && !env.DATABASE_URL) log.warn('DATABASE_URL is not set: no run record, predictions go to Parquet only');
  const pool: pg.Pool | null = useDb ? createPool(env.DATABASE_URL!) : null;
  const s3 = s3OptionsFromEnv(env);
  try {
    const writePredictions = pool ? writePredictionsToPostgres : null;
    const ref = parseModelRef(options.model);
    // Run-finished events (EventBridge, signed webhook) when configured; never fails a run.
    const notifyFinished = createRunFinishedNotifier({ env, pool, log });
    // Paths typed by the user are theirs: npm runs this in apps/scorer, INIT_CWD is where they were.
    const userPath = (value: string | undefined) => (value === undefined ? undefined : resolveUserPath(value, env.userDir));
    const modelLocation = userPath(options.modelLocation);
    return await body(async ({ month, runId, trigger, backfillId }) => {
      const values = { ...month, taxiType: options.taxiType, runId };
      const locations = resolveRunLocations({
        storeUri: env.objectStoreUri,
        values,
        input: userPath(options.input),
        output: userPath(options.output),
        rejects: userPath(options.rejects),
      });
      // Without --input the store's own file of the month, Parquet or CSV.
      if (!options.input) locations.inputUri = (await findStoreMonth(env.objectStoreUri, values, { s3 }))?.uri ?? locations.inputUri;
      // A command typed at a terminal (run, backfill) with a missing input is refused before a run
      // record exists: a typo must not leave a failed run behind. Console-launched runs (their record
      // exists already; the launcher checked the month) and scheduled ones (a missed month should be
      // visible in the console) record the failure instead.
      if ((trigger === 'cli' || trigger === 'backfill') && !(await objectExists(locations.inputUri, { s3 }))) {
        throw new ScoreRunError(`input not found: ${locations.inputUri}`);
      }
      const scoring = scoreMonth(
        {
          log,
          s3,
          pool,
          writePredictions,
          loadModel: createModelLoader({ location: modelLocation, ref, storeUri: env.objectStoreUri, databaseUrl: pool ? env.DATABASE_URL! : null, s3 }),
          driftThresholds: driftThresholdsFromEnv(env),
          loadChallengers: options.challengers
            ? createChallengerLoader({
                location: modelLocation,
                challengerLocations: options.challengerLocation.map((uri) => userPath(uri)!),
                ref,
                databaseUrl: pool ? env.DATABASE_URL! : null,
                s3,
              })
            : undefined,
          progress: createProgressReporter({ isTty: context.isTty, log }),
          heartbeatMs: env.SCORER_HEARTBEAT_MS,
          staleAfterMs: env.SCORER_STALE_AFTER_MS,
          scratchRoot: os.tmpdir(),
        },
        { ...values, ...locations, trigger, backfillId, force: options.force, validation: options.validation, requestedBy: os.userInfo().username },
      );
      return announceRunFinished(notifyFinished, scoring, { ...month, runId, taxiType: options.taxiType });
    });
  } finally {
    await pool?.end();
  }
}

function printResult(context: TProgramContext, options: { json?: boolean }, result: TScoreResult): void {
  if (options.json) {
    context.stdout(JSON.stringify(result));
    return;
  }
  const s = result.summary;
  context.stdout(
    [
      `run ${result.runId} succeeded (model ${result.modelName}@${result.modelVersion})`,
      `  rows: read ${result.rowsRead}, scored ${result.rowsScored}, rejected ${result.rowsRejected} (validation ${s.validation})`,
      ...(Object.keys(s.anomaliesByReason).length
        ? [`  flagged (scored): ${Object.entries(s.anomaliesByReason).map(([r, n]) => `${r} ${n}`).join(', ')}`]
        : []),
      `  predicted minutes: mean ${s.predicted.mean} p50 ${s.predicted.p50} p95 ${s.predicted.p95}`,
      `  vs actual: RMSE ${s.error.rmse} MAE ${s.error.mae}`,
      `  output:  ${result.outputUri}`,
      ...result.models
        .filter((m) => m.role === 'challenger')
        .map((m) =>
          m.error
            ? `  challenger ${m.modelVersion}: skipped, ${m.error}`
            : `  challenger ${m.modelVersion}: RMSE ${round(m.metrics.rmse)} MAE ${round(m.metrics.mae)}, mean |Δ| vs production ${round(m.agreement?.meanAbsDifference ?? null)} min -> ${m.outputUri}`,
        ),
      `  rejects: ${result.rejectsUri}${Object.keys(s.rejectsByReason).length ? ` (${Object.entries(s.rejectsByReason).map(([r, n]) => `${r} ${n}`).join(', ')})` : ''}`,
      `  took ${(s.timings.totalMs ?? 0) / 1000}s`,
    ].join('\n'),
  );
}

function round(value: number | null): string {
  return value === null ? '—' : String(Math.round(value * 10_000) / 10_000);
}

function reportOutcome(context: TProgramContext, outcome: TMonthOutcome): void {
  if (outcome.status === 'succeeded') {
    context.log.info({ month: outcome.month, runId: outcome.runId, rowsScored: outcome.result.rowsScored }, 'backfill month succeeded');
  } else {
    context.log.error({ month: outcome.month, runId: outcome.runId, error: outcome.error }, 'backfill month failed');
  }
}

async function runSchedule(context: TProgramContext, options: TCommonOptions & { cron: string; runNow?: boolean }, taxiTypes: TTaxiType[]): Promise<void> {
  const { env, log } = context;
  const tick = async (now: Date) => {
    const month = previousMonthOf(now);
    for (const taxiType of taxiTypes) {
      const runId = scheduledRunId(taxiType, month);
      try {
        await withRunDeps(context, { ...options, taxiType }, (runOne) => runOne({ month, runId, trigger: 'schedule' }));
      } catch (error) {
        log.error({ runId, month: formatMonth(month), err: error }, 'scheduled run failed');
      }
    }
  };
  const reaper = env.DATABASE_URL ? createPool(env.DATABASE_URL) : null;
  const reap = async () => {
    if (!reaper) return;
    try {
      const reaped = await reapStaleRuns(reaper, { staleAfterMs: env.SCORER_STALE_AFTER_MS });
      if (reaped.length) log.warn({ runs: reaped }, 'marked runs failed: heartbeat stopped');
    } catch (error) {
      log.warn({ err: error }, 'reaper failed');
    }
  };
  const job = new Cron(options.cron, { timezone: 'UTC', protect: true }, async () => tick(new Date()));
  const reapJob = new Cron('* * * * *', { protect: true }, reap);
  // Online and stream predictions have no actual durations: once a day, the drift of yesterday's.
  const measureDrift = async () => {
    if (!env.DATABASE_URL) return;
    try {
      await runDriftJob({ env, log, day: previousUtcDay(new Date()) });
    } catch (error) {
      log.error({ err: error }, 'daily drift job failed');
    }
  };
  const driftJob = new Cron(env.SCORER_DRIFT_SCHEDULE, { timezone: 'UTC', protect: true }, measureDrift);
  log.info(
    { cron: options.cron, taxiTypes, next: job.nextRun()?.toISOString(), driftCron: env.SCORER_DRIFT_SCHEDULE, nextDrift: driftJob.nextRun()?.toISOString() },
    'schedule started',
  );
  // Listen for SIGINT/SIGTERM before the first tick: a signal during --run-now's run must stop
  // the schedule cleanly, not kill the process mid-run.
  const stopped = new Promise<void>((resolve) => {
    const stop = () => {
      job.stop();
      reapJob.stop();
      driftJob.stop();
      log.info('schedule stopped');
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await reap();
  if (options.runNow) await tick(new Date());
  await stopped;
  await reaper?.end();
}
