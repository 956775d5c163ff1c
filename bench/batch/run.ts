// Batch scoring benchmark: `npx tsx bench/batch/run.ts [--help]`.
// Also: production + two challengers (--challenger-location) against production alone, and a
// 12M-row month (--large-rows N, --skip-large) whose peak RSS must stay where the 3M one's is.
// Generates a yellow month and prints, in one run, each figure next to its target:
//   ours end to end (Parquet in -> scored Parquet out), in-run and as a whole process the way the
//   container image runs it (the bundled CLI on plain node), ours with the Postgres sink,
//   the I/O floor (DuckDB copying the same rows Parquet -> Parquet, no model), in-process and as a
//   whole process (node + DuckDB, the same way),
//   the course pipeline in Python (pandas + DictVectorizer + LinearRegression; CSV read apart),
//   and our peak memory (RSS of the scorer process).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { DuckDBInstance } from '@duckdb/node-api';
import { applyMigrations } from '@tripcast/db/migrate';
import { startPostgres } from '@tripcast/local-stack';
import { generateTripMonth } from '@tripcast/model/trips';

import { trainModel } from '@tripcast/model/training';
import { constantStringSql, PARQUET_WRITE_OPTIONS } from '@tripcast/scorer/testing';

import { currentLoad, reportFigure } from '../report';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '../..');
/** The development bin: TypeScript compiled by tsx as it loads. */
const SCORER_BIN = path.join(REPO, 'apps/scorer/bin/scorer.js');
const SCORER_ENTRY = 'apps/scorer/src/cli.ts';
const HELP = `Usage: npx tsx bench/batch/run.ts [--rows N] [--repeat N] [--large-rows N] [--skip-large] [--skip-python]

Generates a yellow month of --rows rows (default 3,000,000) and measures, on this machine, one after the
other: the scorer (Parquet in, course Parquet out, no database; in-run, and as a whole process with the
container image's bundled CLI, built here by infra/images/bundle.mjs), the same with two challengers, the same with
the Postgres sink (an embedded Postgres), the DuckDB I/O floor (the same rows and columns, no model), the
course's pandas + scikit-learn pipeline (installs python3-pandas and python3-sklearn when missing; skip with
--skip-python), and a --large-rows month (default 12,000,000; skip with --skip-large) for peak memory.
The scorer runs and the floor (in-process and as a whole process) are each the median of --repeat runs
(default 3). Prints every figure next to its target, with the load average.`;

/** The command line, or a usage error (not a stack trace) for an unknown or malformed option. */
function parseCommandLine() {
  try {
    return parseArgs({
      options: {
        rows: { type: 'string', default: '3000000' },
        repeat: { type: 'string', default: '3' },
        'large-rows': { type: 'string', default: '12000000' },
        'skip-large': { type: 'boolean', default: false },
        'skip-python': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${HELP}`);
    process.exit(2);
  }
}
const options = parseCommandLine();
if (options.help) {
  console.log(HELP);
  process.exit(0);
}
/** A count option: a positive whole number, or the bench stops before it starts. */
function countOption(name: 'rows' | 'repeat' | 'large-rows'): number {
  const value = Number(options[name]);
  if (!Number.isInteger(value) || value < 1) {
    console.error(`--${name} must be a positive whole number, got "${options[name]}"`);
    process.exit(2);
  }
  return value;
}
const ROWS = countOption('rows');
const SKIP_PYTHON = options['skip-python'];
/** A 2015-size yellow month beside the main one: peak RSS must not grow with the month. */
const LARGE_ROWS = options['skip-large'] ? 0 : countOption('large-rows');
const PYTHON = '/usr/bin/python3';
/** Runs of each timed contender (ours, with challengers, the floor): the median is reported. */
const REPEAT = countOption('repeat');

type TPythonResult = { read_s: number; pipeline_s: number; prepare_s: number; vectorize_s: number; predict_s: number; scored: number };
type TRun = { wallMs: number; runMs: number; peakRssMb: number; scored: number; timings: Record<string, number> };

/**
 * Runs the scorer CLI (`script`: the development bin, or the image's bundle), sampling its peak RSS
 * (VmHWM) from /proc until it exits.
 */
async function runScorer(cliArgs: string[], env: NodeJS.ProcessEnv, script = SCORER_BIN): Promise<TRun> {
  const started = performance.now();
  const child = spawn(process.execPath, [script, ...cliArgs, '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let peakKb = 0;
  const sample = async () => {
    try {
      const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
      const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
      if (kb > peakKb) peakKb = kb;
    } catch {
      // exited
    }
  };
  const timer = setInterval(() => void sample(), 25);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearInterval(timer);
  const wallMs = performance.now() - started;
  if (code !== 0) throw new Error(`scorer exited ${code}: ${stderr}`);
  const result = JSON.parse(stdout) as { rowsScored: number; summary: { timings: Record<string, number> } };
  return { wallMs, runMs: result.summary.timings.totalMs ?? 0, peakRssMb: peakKb / 1024, scored: result.rowsScored, timings: result.summary.timings };
}

async function duck<T>(work: (run: (sql: string) => Promise<void>) => Promise<T>): Promise<T> {
  const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
  const connection = await instance.connect();
  try {
    return await work(async (sql) => void (await connection.run(sql)));
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

function ensurePython(): boolean {
  const probe = spawnSync(PYTHON, ['-c', 'import pandas, sklearn'], { stdio: 'ignore' });
  if (probe.status === 0) return true;
  console.log('installing python3-pandas python3-sklearn (Debian) ...');
  const install = spawnSync('bash', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pandas python3-sklearn'], {
    stdio: 'inherit',
  });
  return install.status === 0;
}

/**
 * The run with the median time of REPEAT runs (load on a 2-core machine moves one run by 10%): by
 * its in-run time, or by `timeOf` (a whole process's wall time). `run` gets the attempt's number:
 * each scorer run takes a run id of its own, as a month's run does (publishing over an earlier
 * run's 70 MB file of the same id costs its removal, ~50 ms: a rerun's cost, not a run's).
 */
async function medianRun<T extends { runMs: number }>(run: (attempt: number) => Promise<T>, timeOf = (r: T) => r.runMs): Promise<T> {
  const runs: T[] = [];
  for (let i = 0; i < REPEAT; i++) runs.push(await run(i));
  runs.sort((a, b) => timeOf(a) - timeOf(b));
  return runs[Math.floor(runs.length / 2)]!;
}

/**
 * The scorer as its container image holds it (apps/scorer/Dockerfile): our TypeScript bundled into
 * plain ESM and the run-time packages copied beside it, so `node <bundle>` starts with no compile.
 * Returns the bundle's path; a floor script written next to it finds DuckDB the same way.
 */
function buildImageLayout(outRoot: string): string {
  const built = spawnSync(process.execPath, [path.join(REPO, 'infra/images/bundle.mjs'), '--out-root', outRoot, '--copy-packages', SCORER_ENTRY], {
    cwd: REPO,
    encoding: 'utf8',
  });
  if (built.status !== 0) throw new Error(`bundling the scorer failed: ${built.stderr || built.stdout}`);
  return path.join(outRoot, SCORER_ENTRY.replace(/\.ts$/, '.mjs'));
}

/** A whole node process that runs one DuckDB statement, as the floor beside the scorer's process. */
const FLOOR_PROCESS_SCRIPT = `import { DuckDBInstance } from '@duckdb/node-api';
const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
const connection = await instance.connect();
await connection.run(process.argv[2]);
connection.closeSync();
instance.closeSync();
`;

async function runProcess(args: string[]): Promise<{ runMs: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`${args.join(' ')} exited ${code}: ${stderr}`);
  return { runMs: performance.now() - started };
}

const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const millions = (n: number) => `${(n / 1e6).toFixed(n % 1e6 === 0 ? 0 : 1)}M`;

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tripcast-bench-batch-'));
  let pgServer: Awaited<ReturnType<typeof startPostgres>> | null = null;
  let pgDir: string | null = null;
  try {
    console.log(`batch scoring bench: ${ROWS.toLocaleString('en')} rows, ${os.cpus().length} cores, node ${process.version}`);
    let t = performance.now();
    const { path: input } = await generateTripMonth({ taxiType: 'yellow', year: 2021, month: 3, rows: ROWS, outPath: path.join(dir, 'data') });
    console.log(`generated ${input} in ${fmt(performance.now() - t)}`);
    // The default recipe (zones, with pickup time and a reference profile for drift), trained on a
    // smaller generated month: what a run scores with out of the box.
    t = performance.now();
    const { path: trainFile } = await generateTripMonth({ taxiType: 'yellow', year: 2021, month: 2, rows: 300_000, outPath: path.join(dir, 'train') });
    const trained = await trainModel({ recipe: 'zones', trainFiles: [trainFile] });
    const writeModel = async (folder: string, version: string) => {
      await mkdir(folder, { recursive: true });
      await writeFile(path.join(folder, 'model.onnx'), trained.onnx);
      await writeFile(path.join(folder, 'card.json'), JSON.stringify({ ...trained.card, version }));
      return folder;
    };
    const modelDir = await writeModel(path.join(dir, 'model'), 'bench-zones');
    console.log(`trained the default (zones) recipe on 300k generated rows in ${fmt(performance.now() - t)}`);
    const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn', OBJECT_STORE_URI: path.join(dir, 'store'), MODEL_LOCATION: modelDir };
    delete env.DATABASE_URL;
    const common = ['run', '--taxi-type', 'yellow', '--year', '2021', '--month', '3', '--input', input];

    // Warm the OS page cache for every contender alike.
    const loadBefore = currentLoad();
    await runScorer([...common, '--no-db', '--run-id', 'warmup'], env);
    const ours = await medianRun((i) => runScorer([...common, '--no-db', '--run-id', `parquet-only-${i}`], env));
    t = performance.now();
    const imageRoot = path.join(dir, 'image');
    const bundle = buildImageLayout(imageRoot);
    console.log(`bundled the scorer as its image does in ${fmt(performance.now() - t)}`);
    await runScorer([...common, '--no-db', '--run-id', 'warmup-bundle'], env, bundle);
    const oursDeployed = await medianRun(
      (i) => runScorer([...common, '--no-db', '--run-id', `parquet-only-bundle-${i}`], env, bundle),
      (r) => r.wallMs,
    );
    // Two challengers scoring every batch beside production, each with its own sibling Parquet.
    const challengerDirs = await Promise.all(
      [0, 1].map((i) => writeModel(path.join(dir, `challenger-${i}`), `challenger-${i}`)),
    );
    const withChallengers = await medianRun((i) =>
      runScorer(
      [...common, '--no-db', '--run-id', `two-challengers-${i}`, ...challengerDirs.flatMap((d) => ['--challenger-location', d])],
      env,
    ),
    );

    // Its own temp folder (as bench/db does): the data dir's parent must be reachable by the postgres user.
    pgDir = await mkdtemp(path.join(os.tmpdir(), 'tripcast-bench-pg-'));
    pgServer = await startPostgres({ dataDir: pgDir, port: 0, durable: false });
    const databaseUrl = pgServer.urlFor('postgres');
    await applyMigrations({ databaseUrl });
    const withDb = await runScorer([...common, '--run-id', 'with-postgres'], { ...env, DATABASE_URL: databaseUrl });

    // I/O floor: the same input rows to the same output columns with the scorer's Parquet writer
    // settings and its cheapest way to write each column (constantStringSql), no model (prediction = 0).
    // Each attempt writes a file of its own, as each scorer run does.
    const floorSql = (name: string) => `COPY (SELECT '2021/03_' || file_row_number AS ride_id, tpep_pickup_datetime::TIMESTAMP AS pickup_datetime,
              PULocationID::INTEGER AS PULocationID, DOLocationID::INTEGER AS DOLocationID,
              date_diff('microsecond', tpep_pickup_datetime::TIMESTAMP, tpep_dropoff_datetime::TIMESTAMP) / 60e6 AS actual_duration,
              0.0::DOUBLE AS predicted_duration, actual_duration - predicted_duration AS diff, ${constantStringSql('none')} AS model_version
            FROM read_parquet('${input}', file_row_number = true)) TO '${path.join(dir, `${name}.parquet`)}' (${PARQUET_WRITE_OPTIONS})`;
    const floorMs = (
      await medianRun(async (i) => {
        const started = performance.now();
        await duck((run) => run(floorSql(`floor-${i}`)));
        return { runMs: performance.now() - started };
      })
    ).runMs;
    // The same floor as a whole process, started the way the bundled scorer is: node + DuckDB.
    const floorScript = path.join(imageRoot, 'floor.mjs');
    await writeFile(floorScript, FLOOR_PROCESS_SCRIPT);
    const floorProcessMs = (await medianRun((i) => runProcess([floorScript, floorSql(`floor-process-${i}`)]))).runMs;

    let python: TPythonResult | null = null;
    if (!SKIP_PYTHON && ensurePython()) {
      const csv = path.join(dir, 'rows.csv');
      await duck((run) =>
        run(`COPY (SELECT tpep_pickup_datetime AS pickup_datetime, tpep_dropoff_datetime AS dropoff_datetime, PULocationID, DOLocationID, trip_distance
              FROM read_parquet('${input}')) TO '${csv}' (HEADER, DELIMITER ',')`),
      );
      const out = execFileSync(PYTHON, [path.join(HERE, 'course_pipeline.py'), csv], { encoding: 'utf8', maxBuffer: 1 << 20 });
      python = JSON.parse(out.trim().split('\n').at(-1)!) as TPythonResult;
    }

    let large: TRun | null = null;
    if (LARGE_ROWS > 0) {
      t = performance.now();
      const { path: largeInput } = await generateTripMonth({
        taxiType: 'yellow',
        year: 2021,
        month: 4,
        rows: LARGE_ROWS,
        outPath: path.join(dir, 'large'),
      });
      console.log(`generated ${largeInput} in ${fmt(performance.now() - t)}`);
      large = await runScorer(
        ['run', '--taxi-type', 'yellow', '--year', '2021', '--month', '4', '--input', largeInput, '--no-db', '--run-id', 'large'],
        env,
      );
      await rm(path.join(dir, 'large'), { recursive: true, force: true });
    }

    const rows: [string, string, string][] = [
      ['ours, Parquet in -> scored Parquet out (in-run)', fmt(ours.runMs), `${ours.scored.toLocaleString('en')} scored; ${JSON.stringify(ours.timings)}`],
      ['ours, same, whole process (development bin: node + tsx)', fmt(ours.wallMs), 'tsx compiles our TypeScript as it loads'],
      [
        'ours, same, whole process as the image runs it',
        fmt(oursDeployed.wallMs),
        `bundled CLI on plain node (${fmt(oursDeployed.runMs)} in-run)`,
      ],
      [
        'ours, production + 2 challengers (in-run)',
        fmt(withChallengers.runMs),
        `${(withChallengers.runMs / ours.runMs).toFixed(2)}x one model; three course Parquet files`,
      ],
      ['ours, with the Postgres sink (in-run)', fmt(withDb.runMs), `database ${fmt(withDb.timings.databaseMs ?? 0)} (COPY of ${withDb.scored.toLocaleString('en')} rows)`],
      [
        'quality + drift work in that run',
        fmt(withDb.timings.monitoringMs ?? 0),
        `${(((withDb.timings.monitoringMs ?? 0) / withDb.runMs) * 100).toFixed(1)}% of the run (per-model figures, drift counted and recorded)`,
      ],
      ['I/O floor: DuckDB Parquet -> Parquet, no model', fmt(floorMs), 'same rows, same output columns'],
      ['I/O floor, whole process (node + DuckDB)', fmt(floorProcessMs), ''],
    ];
    if (python) {
      rows.push(['Python course pipeline: prepare + vectorize + predict', fmt(python.pipeline_s * 1000), `prepare ${python.prepare_s.toFixed(2)} s, DictVectorizer ${python.vectorize_s.toFixed(2)} s, predict ${python.predict_s.toFixed(2)} s`]);
      rows.push(['Python: read_csv (apart)', fmt(python.read_s * 1000), 'Debian has no pyarrow']);
    }
    rows.push(['ours, peak RSS (Parquet only / with Postgres)', `${ours.peakRssMb.toFixed(0)} / ${withDb.peakRssMb.toFixed(0)} MB`, '']);
    if (large)
      rows.push([
        `ours, ${millions(LARGE_ROWS)}-row month (in-run / peak RSS)`,
        `${fmt(large.runMs)} / ${large.peakRssMb.toFixed(0)} MB`,
        `${large.scored.toLocaleString('en')} scored`,
      ]);
    const width = Math.max(...rows.map((r) => r[0].length));
    console.log('');
    for (const [name, value, note] of rows) console.log(`${name.padEnd(width)}  ${value.padStart(12)}  ${note}`);
    console.log('');
    const vsFloor = ours.runMs / floorMs;
    console.log(`target: within 1.5x of the I/O floor      -> ${vsFloor.toFixed(2)}x ${vsFloor <= 1.5 ? 'MET' : 'NOT MET'}`);
    const vsFloorProcess = oursDeployed.wallMs / floorProcessMs;
    console.log(
      `target: the same, whole processes         -> ${vsFloorProcess.toFixed(2)}x ${vsFloorProcess <= 1.5 ? 'MET' : 'NOT MET'}`,
    );
    if (python) {
      const speedup = (python.pipeline_s * 1000) / ours.runMs;
      const speedupWithRead = ((python.pipeline_s + python.read_s) * 1000) / ours.runMs;
      console.log(
        `target: >= 10x faster than Python        -> end to end (ours incl. writing Parquet, Python without writing): ` +
          `${speedup.toFixed(1)}x (${speedupWithRead.toFixed(1)}x counting its CSV read) ${speedup >= 10 ? 'MET' : 'NOT MET'}`,
      );
    }
    const peak = Math.max(ours.peakRssMb, withDb.peakRssMb);
    const rowsLabel = `${millions(ROWS)} rows`;
    reportFigure({
      bench: 'batch',
      name: `${rowsLabel}, Parquet -> course Parquet (in-run)`,
      value: ours.runMs / 1000,
      unit: 's',
      reference: { name: 'DuckDB I/O floor', value: floorMs / 1000, unit: 's' },
      target: { kind: 'ratio-at-most', value: 1.5 },
      loadBefore,
    });
    reportFigure({
      bench: 'batch',
      name: `${rowsLabel}, Parquet -> course Parquet (whole process, image's bundled CLI)`,
      value: oursDeployed.wallMs / 1000,
      unit: 's',
      reference: { name: 'DuckDB I/O floor, whole process', value: floorProcessMs / 1000, unit: 's' },
      target: { kind: 'ratio-at-most', value: 1.5 },
      loadBefore,
    });
    if (python)
      reportFigure({
        bench: 'batch',
        name: `${rowsLabel}, end to end vs the course pipeline`,
        value: ours.runMs / 1000,
        unit: 's',
        reference: { name: 'pandas + scikit-learn', value: python.pipeline_s, unit: 's' },
        target: { kind: 'speedup-at-least', value: 10 },
        loadBefore,
      });
    reportFigure({
      bench: 'batch',
      name: `${rowsLabel}, production + 2 challengers`,
      value: withChallengers.runMs / 1000,
      unit: 's',
      reference: { name: 'production alone', value: ours.runMs / 1000, unit: 's' },
      target: { kind: 'ratio-at-most', value: 1.5 },
      loadBefore,
    });
    reportFigure({
      bench: 'batch',
      name: `${rowsLabel}, quality + drift share of a run`,
      value: ((withDb.timings.monitoringMs ?? 0) / withDb.runMs) * 100,
      unit: '%',
      target: { kind: 'at-most', value: 10 },
      loadBefore,
    });
    reportFigure({
      bench: 'batch',
      name: `${rowsLabel}, COPY into Postgres`,
      value: withDb.scored / ((withDb.timings.databaseMs ?? Infinity) / 1000),
      unit: 'rows/s',
      target: { kind: 'at-least', value: 300_000 },
      loadBefore,
    });
    reportFigure({ bench: 'batch', name: `${rowsLabel}, peak RSS`, value: peak, unit: 'MB', target: { kind: 'at-most', value: 512 }, loadBefore });
    if (large)
      reportFigure({
        bench: 'batch',
        name: `${millions(LARGE_ROWS)} rows, peak RSS (Parquet only)`,
        value: large.peakRssMb,
        unit: 'MB',
        target: { kind: 'at-most', value: 512 },
        loadBefore,
      });
    console.log(`target: peak memory < 1 GB               -> ${peak.toFixed(0)} MB ${peak < 1024 ? 'MET' : 'NOT MET'}`);
  } finally {
    await pgServer?.stop();
    if (pgDir) await rm(pgDir, { recursive: true, force: true });
    if (existsSync(dir)) await rm(dir, { recursive: true, force: true });
  }
}

await main();
