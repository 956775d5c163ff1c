/**
 * Online prediction benchmark: our POST /api/v1/predict against the course's Flask web service,
 * measured in the same run on the same machine, both serving the course's linear model fitted on
 * the same month (green 2021-01).
 *
 * - Ours: apps/console/server.ts (NODE_ENV=production, --api-only unless a `next build` exists
 *   and --with-next is given), history writes ON into an embedded Postgres, the model trained by
 *   @tripcast/model and served from the model store through the production-model watcher.
 * - Theirs: bench/online/flask/predict.py under gunicorn, 2 sync workers, scikit-learn
 *   DictVectorizer + LinearRegression fitted by bench/online/flask/train.py.
 * - Load: one ride per request (the course body), 32 connections, loopback only. autocannon for
 *   ours; wrk for gunicorn, whose sync workers close every connection, which autocannon misreports
 *   (thousands of errors, latencies in seconds). Ours is also measured with wrk so the two tools
 *   can be compared.
 *
 * - Then ours again with two challengers scoring every request after its response (the challengers' cost:
 *   production p99 within 1 ms of none).
 *
 *   npx tsx bench/online/run.ts [--duration 10] [--connections 32] [--with-next]
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { applyMigrations } from '@tripcast/db/migrate';
import { startPostgres } from '@tripcast/local-stack';
import { trainModel } from '@tripcast/model/training';
import pg from 'pg';
import { getFreePort, hasCommand, runAutocannon, runWrk, waitForHttp } from './load';
import type { TLoadResult } from './load';
import { addBenchChallengers, createBenchApiKey, publishBenchModel } from './publish-model';
import { reportFigure } from '../report';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(HERE, '../..');
const CONSOLE_DIR = path.join(REPO_ROOT, 'apps/console');
const SYSTEM_PYTHON = '/usr/bin/python3'; // Debian's python: where apt puts gunicorn, sklearn, pandas, flask
const MODEL_NAME = 'ride_duration_prediction_model';
const COURSE_RIDE = { PULocationID: 10, DOLocationID: 50, trip_distance: 40 };
const CHECK_RIDES = [COURSE_RIDE, { PULocationID: 130, DOLocationID: 205, trip_distance: 3.66 }, { PULocationID: 74, DOLocationID: 75, trip_distance: 1.2 }];

/** The online API's targets against the course's Flask service (one ride per request, 32 connections). */
const TARGETS = { ratioToFlask: 5, requestsPerSec: 8_000, p99Ms: 10 };

const HELP = `Usage: npx tsx bench/online/run.ts [options]

Benchmarks POST /api/v1/predict (ours, history writes on) against the course's Flask service
under gunicorn (2 sync workers), same model and data, in one run. Loopback only.

Options:
  --duration SECONDS     measured seconds per target (default 10; plus 3 s warm-up)
  --connections N        concurrent connections (default 32)
  --with-next            run server.ts with Next too (needs \`npm run build -w @tripcast/console\`)
  --keep                 keep the temporary folder (Postgres data, models, logs)
  -h, --help             show this help

Needs: wrk, gunicorn, python3-sklearn, python3-pandas, python3-flask (apt-get install -y wrk gunicorn
python3-sklearn python3-pandas python3-flask) and the real month green_tripdata_2021-01.parquet in
$TRIPCAST_SHARED_DATA or <repo>/../shared/data.`;

type TChild = { name: string; process: ChildProcess; logs: string[] };

function startChild(name: string, command: string, args: string[], options: { env: NodeJS.ProcessEnv; cwd?: string }): TChild {
  const child = spawn(command, args, { env: options.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: string[] = [];
  const keep = (chunk: Buffer) => {
    logs.push(chunk.toString());
    if (logs.length > 200) logs.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { name, process: child, logs };
}

async function stopChild(child: TChild): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.process.once('exit', () => resolve()));
  child.process.kill('SIGTERM');
  const timer = setTimeout(() => child.process.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

function runCommand(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(output) : reject(new Error(`${command} ${args.join(' ')} failed (${code}):\n${output}`))));
  });
}

async function preflight(): Promise<string> {
  const missing: string[] = [];
  for (const command of ['wrk', 'gunicorn']) if (!(await hasCommand(command))) missing.push(command);
  try {
    await runCommand(SYSTEM_PYTHON, ['-c', 'import sklearn, pandas, flask']);
  } catch {
    missing.push('python3-sklearn python3-pandas python3-flask');
  }
  if (missing.length > 0) {
    throw new Error(`missing: ${missing.join(', ')}\n  install: apt-get install -y wrk gunicorn python3-sklearn python3-pandas python3-flask`);
  }
  const dataDir = process.env.TRIPCAST_SHARED_DATA ?? path.join(REPO_ROOT, '..', 'shared', 'data');
  const month = path.join(dataDir, 'green_tripdata_2021-01.parquet');
  if (!existsSync(month)) throw new Error(`the training month is not at ${month} (set TRIPCAST_SHARED_DATA)`);
  return month;
}

/** The trips as CSV for pandas (Debian has no pyarrow): the columns the course reads, null zones left out. */
async function exportTripsCsv(parquet: string, csv: string): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const quote = (p: string) => `'${p.replaceAll("'", "''")}'`;
    await connection.run(
      `COPY (SELECT lpep_pickup_datetime, lpep_dropoff_datetime, PULocationID, DOLocationID, trip_distance
               FROM read_parquet(${quote(parquet)})
              WHERE PULocationID IS NOT NULL AND DOLocationID IS NOT NULL AND trip_distance IS NOT NULL)
       TO ${quote(csv)} (HEADER, DELIMITER ',')`,
    );
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ duration: number; model_version: string }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as { duration: number; model_version: string };
}

function formatRow(name: string, r: TLoadResult): string {
  return `${name.padEnd(34)} ${r.requestsPerSec.toFixed(0).padStart(8)} ${r.p50Ms.toFixed(2).padStart(8)} ${r.p99Ms.toFixed(2).padStart(8)} ${String(r.errors + r.non2xx).padStart(7)}`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '10' },
      connections: { type: 'string', default: '32' },
      'with-next': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const durationSec = Number(values.duration);
  const connections = Number(values.connections);
  if (!(durationSec > 0 && durationSec <= 120) || !(connections > 0 && connections <= 1024)) {
    throw new Error('--duration must be 1..120 seconds and --connections 1..1024');
  }
  const isWithNext = values['with-next'];
  if (isWithNext && !existsSync(path.join(CONSOLE_DIR, '.next', 'BUILD_ID'))) {
    throw new Error('--with-next needs a Next build: npm run build -w @tripcast/console');
  }

  const loadAtStart = loadavg().map((l) => l.toFixed(1)).join(' ');
  const month = await preflight();
  const work = await mkdtemp(path.join(tmpdir(), 'tripcast-bench-online-'));
  // As root, Postgres runs as the `postgres` user, which must be able to enter this folder.
  await chmod(work, 0o755);
  const children: TChild[] = [];
  let postgres: Awaited<ReturnType<typeof startPostgres>> | undefined;
  const step = (message: string) => console.log(`[bench] ${message}`);
  try {
    // 1. Postgres (embedded, throwaway, fsync off like the test stack) with our schema.
    step('starting embedded Postgres');
    postgres = await startPostgres({ dataDir: path.join(work, 'pg'), port: 0, durable: false });
    const databaseUrl = postgres.urlFor('postgres');
    await applyMigrations({ databaseUrl });

    // 2. Both models from the same month.
    step(`training our model on ${path.basename(month)}`);
    const trained = await trainModel({ trainFiles: [month], name: MODEL_NAME, version: 'bench' });
    const storeUri = path.join(work, 'store');
    await mkdir(storeUri, { recursive: true });
    await publishBenchModel({ databaseUrl, storeUri, onnx: trained.onnx, card: trained.card });
    step('fitting the course model with scikit-learn (DictVectorizer + LinearRegression)');
    const csv = path.join(work, 'trips.csv');
    await exportTripsCsv(month, csv);
    const modelBin = path.join(work, 'lin_reg.bin');
    step(`  ${(await runCommand(SYSTEM_PYTHON, [path.join(HERE, 'flask', 'train.py'), csv, modelBin])).trim()}`);

    // 3. Servers.
    const [oursPort, flaskPort] = [await getFreePort(), await getFreePort()];
    const oursUrl = `http://127.0.0.1:${oursPort}/api/v1/predict`;
    const flaskUrl = `http://127.0.0.1:${flaskPort}/predict`;
    const oursEnv: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'production',
      NEXT_TELEMETRY_DISABLED: '1',
      DATABASE_URL: databaseUrl,
      OBJECT_STORE_URI: storeUri,
      TRIPCAST_HOME: work,
      MODEL_NAME,
      CONSOLE_HOST: '127.0.0.1',
      CONSOLE_PORT: String(oursPort),
      // The bench sends a real API key; its rate limit must not be what is measured.
      PREDICT_API_RATE_LIMIT_PER_SECOND: '1000000000',
      PREDICT_API_RATE_LIMIT_BURST: '1000000000',
    };
    const oursHeaders = { authorization: `Bearer ${await createBenchApiKey(databaseUrl)}` };
    step(`starting ours: server.ts${isWithNext ? '' : ' --api-only'} on :${oursPort}`);
    const ours = startChild('ours', process.execPath, ['--import', 'tsx', 'server.ts', ...(isWithNext ? [] : ['--api-only'])], { env: oursEnv, cwd: CONSOLE_DIR });
    children.push(ours);
    step(`starting the course service: gunicorn --workers 2 on :${flaskPort}`);
    const flask = startChild(
      'flask',
      'gunicorn',
      ['--workers', '2', '--bind', `127.0.0.1:${flaskPort}`, '--chdir', path.join(HERE, 'flask'), '--log-level', 'warning', 'predict:app'],
      { env: { PATH: process.env.PATH, HOME: process.env.HOME, MODEL_BIN: modelBin, MODEL_VERSION: 'sklearn' } },
    );
    children.push(flask);
    const body = JSON.stringify(COURSE_RIDE);
    await Promise.all([
      waitForHttp(oursUrl, { body, timeoutMs: 120_000, headers: oursHeaders }).catch((e: Error) => Promise.reject(new Error(`${e.message}\n${ours.logs.join('')}`))),
      waitForHttp(flaskUrl, { body, timeoutMs: 60_000 }).catch((e: Error) => Promise.reject(new Error(`${e.message}\n${flask.logs.join('')}`))),
    ]);

    // 4. Same model? The two fits must agree on the same rides.
    step('same rides, both services (minutes):');
    for (const ride of CHECK_RIDES) {
      const [a, b] = await Promise.all([postJson(oursUrl, ride, oursHeaders), postJson(flaskUrl, ride)]);
      step(`  ${JSON.stringify(ride).padEnd(62)} ours ${a.duration.toFixed(3)} (${a.model_version})  flask ${b.duration.toFixed(3)}`);
    }

    // 5. Load, one target at a time (2 cores: the load generator needs one).
    const load = { body, connections, durationSec };
    step(`load: ${connections} connections, ${durationSec} s each after a 3 s warm-up`);
    type THistoryStats = { buffered: number; written: number; dropped: number; failedFlushes: number };
    const readHistory = async () =>
      ((await (await fetch(`http://127.0.0.1:${oursPort}/api/health`)).json()) as { history: THistoryStats }).history;
    /** Waits until the history buffer is empty (so no backlog competes with the next measurement); returns seconds waited. */
    const drainHistory = async (): Promise<number> => {
      const startedAt = Date.now();
      while ((await readHistory()).buffered > 0 && Date.now() - startedAt < 120_000) await new Promise((r) => setTimeout(r, 100));
      return (Date.now() - startedAt) / 1000;
    };
    await runAutocannon({ ...load, url: oursUrl, durationSec: 3, headers: oursHeaders });
    await drainHistory(); // the warm-up's rows reach the table first
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
    const countRows = async () => Number((await pool.query<{ n: string }>("SELECT count(*) AS n FROM prediction_history WHERE source = 'online'")).rows[0]!.n);
    const rowsBefore = await countRows();
    const oursAutocannon = await runAutocannon({ ...load, url: oursUrl, headers: oursHeaders });
    const backlogAtEnd = (await readHistory()).buffered;
    const drainSec = await drainHistory();
    const rowsWritten = (await countRows()) - rowsBefore;
    const history = await readHistory();
    const oursWrk = await runWrk({ ...load, url: oursUrl, headers: oursHeaders });
    await drainHistory();
    await runWrk({ ...load, url: flaskUrl, durationSec: 3 });
    const flaskWrk = await runWrk({ ...load, url: flaskUrl });

    // 5b. The same load with two challengers scoring every request after its response (the challengers' cost:
    // production's p99 within 1 ms of none). "The same load" is the same offered rate: at saturation
    // any extra work per request shows as queueing, so the target is judged at a fixed rate (30% of
    // what the server answered without challengers), measured now without and then with them.
    const fixedRate = Math.max(100, Math.round(oursAutocannon.requestsPerSec * 0.3));
    step(`fixed rate ${fixedRate} req/s without challengers`);
    const fixedNone = await runAutocannon({ ...load, url: oursUrl, headers: oursHeaders, overallRate: fixedRate });
    await drainHistory();
    step('adding two challengers, measuring again');
    await addBenchChallengers({ databaseUrl, storeUri, onnx: trained.onnx, card: trained.card, count: 2 });
    const readChallengers = async () =>
      ((await (await fetch(`http://127.0.0.1:${oursPort}/api/health`)).json()) as { challengers?: { status: string }[] }).challengers ?? [];
    for (const started = Date.now(); (await readChallengers()).filter((c) => c.status === 'ok').length < 2; ) {
      if (Date.now() - started > 30_000) throw new Error('the server did not load the two challengers within 30 s');
      await new Promise((r) => setTimeout(r, 200));
    }
    await drainHistory();
    await runAutocannon({ ...load, url: oursUrl, durationSec: 3, headers: oursHeaders });
    await drainHistory();
    const withChallengers = await runAutocannon({ ...load, url: oursUrl, headers: oursHeaders });
    await drainHistory();
    const fixedWith = await runAutocannon({ ...load, url: oursUrl, headers: oursHeaders, overallRate: fixedRate });
    await drainHistory();
    await pool.end();

    // 6. Report.
    const ratio = oursAutocannon.requestsPerSec / flaskWrk.requestsPerSec;
    // The same load generator on both sides: autocannon is a node process that takes a larger share
    // of the two cores than wrk, so ours measured by it competes with more load than Flask did.
    const ratioSameTool = oursWrk.requestsPerSec / flaskWrk.requestsPerSec;
    const mark = (ok: boolean) => (ok ? 'MET ' : 'MISS');
    const lines = [
      '',
      `Online prediction, one ride per request, ${connections} connections, ${durationSec} s, loopback (${new Date().toISOString()})`,
      `machine load average at start of run ${loadAtStart}, now ${loadavg().map((l) => l.toFixed(1)).join(' ')} (2 cores: anything above ~1 means the figures are depressed by other work)`,
      `${'target'.padEnd(34)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'errors'.padStart(7)}`,
      formatRow('ours /api/v1/predict (autocannon)', oursAutocannon),
      formatRow('ours /api/v1/predict (wrk)', oursWrk),
      formatRow('course Flask, gunicorn -w 2 (wrk)', flaskWrk),
      '',
      `history writes ON: ${rowsWritten} rows in prediction_history for ${oursAutocannon.requests} requests measured by autocannon ` +
        `(dropped ${history.dropped}, failed flushes ${history.failedFlushes}); ${backlogAtEnd} rows were still buffered when the load stopped, ` +
        `written ${drainSec.toFixed(1)} s later (history write rate ~${(rowsWritten / (durationSec + drainSec)).toFixed(0)} rows/s)`,
      '',
      `targets                               measured`,
      `${mark(ratio >= TARGETS.ratioToFlask)} >= ${TARGETS.ratioToFlask}x Flask req/s (autocannon / wrk)    ${ratio.toFixed(2)}x`,
      `${mark(ratioSameTool >= TARGETS.ratioToFlask)} >= ${TARGETS.ratioToFlask}x Flask req/s (wrk / wrk)           ${ratioSameTool.toFixed(2)}x`,
      `${mark(oursAutocannon.requestsPerSec >= TARGETS.requestsPerSec)} ~${TARGETS.requestsPerSec} req/s                          ${oursAutocannon.requestsPerSec.toFixed(0)} req/s`,
      `${mark(oursAutocannon.p99Ms < TARGETS.p99Ms)} p99 < ${TARGETS.p99Ms} ms                          ${oursAutocannon.p99Ms.toFixed(2)} ms`,
      formatRow('ours, 2 challengers, saturated', withChallengers),
      formatRow(`ours, no challenger, ${fixedRate} req/s`, fixedNone),
      formatRow(`ours, 2 challengers, ${fixedRate} req/s`, fixedWith),
      `${mark(fixedWith.p99Ms - fixedNone.p99Ms <= 1)} p99 with 2 challengers within 1 ms of none at ${fixedRate} req/s   ${fixedNone.p99Ms.toFixed(2)} -> ${fixedWith.p99Ms.toFixed(2)} ms (${(fixedWith.p99Ms - fixedNone.p99Ms).toFixed(2)} ms; saturated: ${oursAutocannon.requestsPerSec.toFixed(0)} -> ${withChallengers.requestsPerSec.toFixed(0)} req/s)`,
      `reference (wrk, 32 connections, idle 2-core machine): plain node:http 19,500 req/s p99 3.8 ms; Next route handler 1,040 req/s p99 106 ms; Flask/gunicorn 2,780 req/s p99 16.5 ms`,
    ];
    console.log(lines.join('\n'));
    const loadBefore = Number(loadAtStart.split(' ')[0]);
    for (const [tool, result] of [['autocannon', oursAutocannon], ['wrk', oursWrk]] as const) {
      reportFigure({
        bench: 'online',
        name: `keyed /api/v1/predict, ${connections} connections (${tool})`,
        value: result.requestsPerSec,
        unit: 'req/s',
        reference: { name: 'course Flask/gunicorn (wrk)', value: flaskWrk.requestsPerSec, unit: 'req/s' },
        target: { kind: 'ratio-at-least', value: TARGETS.ratioToFlask },
        loadBefore,
      });
      reportFigure({ bench: 'online', name: `keyed predict p99 (${tool})`, value: result.p99Ms, unit: 'ms', target: { kind: 'at-most', value: TARGETS.p99Ms }, loadBefore });
    }
    reportFigure({
      bench: 'online',
      name: `keyed predict p99 with 2 challengers at ${fixedRate} req/s (autocannon)`,
      value: fixedWith.p99Ms,
      unit: 'ms',
      reference: { name: 'p99 with no challenger, same rate', value: fixedNone.p99Ms, unit: 'ms' },
      target: { kind: 'at-most', value: fixedNone.p99Ms + 1 },
      loadBefore,
    });
    const resultsDir = path.join(REPO_ROOT, 'bench', 'results');
    await mkdir(resultsDir, { recursive: true });
    const resultFile = path.join(resultsDir, `online-${new Date().toISOString().replaceAll(':', '-')}.json`);
    await writeFile(resultFile, JSON.stringify({ loadAtStart, loadAtEnd: loadavg(), connections, durationSec, oursAutocannon, oursWrk, flaskWrk, withChallengers, fixedRate, fixedNone, fixedWith, ratio, ratioSameTool, rowsWritten, backlogAtEnd, drainSec, history, targets: TARGETS }, null, 2));
    step(`results saved to ${path.relative(REPO_ROOT, resultFile)}`);
  } finally {
    for (const child of children.reverse()) await stopChild(child);
    await postgres?.stop();
    if (values.keep) step(`kept ${work}`);
    else await rm(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(`[bench] failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
