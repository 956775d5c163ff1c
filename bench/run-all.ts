// `npm run bench`: every benchmark under bench/, one after another (never two at once: they would
// measure each other), then one table of the figures the issues name: each beside its reference
// measured in the same run, the ratio, the target, MET or MISS, and the load average while it was
// measured. A figure measured while the load average exceeded the core count gets no verdict.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { describeTarget, figureRatio, verdictOf, type TFigure } from './report';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** In the order they run: the quick ones first, so a broken setup shows early. */
const BENCHES = [
  { name: 'model', what: 'predict throughput, zones graph vs the course graph', args: ['bench/model/predict.ts'] },
  { name: 'model', what: 'training a 3M-row month, zones and course recipes', args: ['bench/model/train.ts'] },
  { name: 'db', what: 'COPY writer vs Prisma createMany', args: ['bench/db/copy.ts'] },
  { name: 'batch', what: '3M-row month: in-run vs DuckDB I/O floor, course pipeline, COPY, RSS', args: ['bench/batch/run.ts'] },
  { name: 'online', what: 'keyed /api/v1/predict vs Flask/gunicorn', args: ['bench/online/run.ts'] },
  { name: 'stream', what: 'handler core and end-to-end drain', args: ['bench/stream/run.ts'] },
] as const;

const HELP = `Usage: npm run bench [-- --only NAME[,NAME]] [--list]

Runs every benchmark under bench/ one after another (about 10-15 minutes in all on 2 cores), each
printing its own detail, then prints one table: figure, its reference measured in the same run,
the ratio, the target, and MET / MISS with the load average while it was measured. A figure
taken while the load average was above the machine's core count (${availableParallelism()} here) is
marked LOADED instead of MET or MISS: stop other work and run it again.

Options:
  --only NAMES   run only these benches (${[...new Set(BENCHES.map((b) => b.name))].join(', ')})
  --list         list the benches and exit
  -h, --help     show this help`;

function runBench(args: readonly string[], reportFile: string): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
      cwd: REPO_ROOT,
      stdio: 'inherit',
      env: { ...process.env, BENCH_REPORT_FILE: reportFile },
    });
    child.on('close', (code) => resolve(code ?? 1));
  });
}

const formatNumber = (n: number) =>
  Math.abs(n) >= 1000 ? Math.round(n).toLocaleString('en-US') : n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2);

function renderTable(figures: TFigure[]): string {
  const header = ['bench', 'figure', 'measured', 'reference (same run)', 'ratio', 'target', 'verdict', 'load'];
  const rows = figures.map((f) => {
    const ratio = figureRatio(f);
    return [
      f.bench,
      f.name,
      `${formatNumber(f.value)} ${f.unit}`,
      f.reference ? `${f.reference.name}: ${formatNumber(f.reference.value)} ${f.reference.unit}` : '-',
      ratio == null ? '-' : `${ratio.toFixed(2)}x`,
      describeTarget(f.target, f.unit),
      verdictOf(f),
      `${f.loadAverage.toFixed(1)}/${f.cores}`,
    ];
  });
  const widths = header.map((_, c) => Math.max(header[c]!.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) => cells.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      list: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (values.list) {
    for (const bench of BENCHES) console.log(`${bench.name.padEnd(7)} ${bench.args.join(' ').padEnd(24)} ${bench.what}`);
    return 0;
  }
  const only = values.only?.split(',').map((name) => name.trim());
  const unknown = only?.filter((name) => !BENCHES.some((bench) => bench.name === name)) ?? [];
  if (unknown.length > 0) {
    console.error(`unknown bench: ${unknown.join(', ')} (see --list)`);
    return 2;
  }
  const selected = BENCHES.filter((bench) => !only || only.includes(bench.name));

  const dir = await mkdtemp(path.join(tmpdir(), 'tripcast-bench-all-'));
  const reportFile = path.join(dir, 'figures.jsonl');
  const failed: string[] = [];
  try {
    for (const bench of selected) {
      console.log(`\n=== ${bench.name}: ${bench.what} (${bench.args.join(' ')})`);
      const code = await runBench(bench.args, reportFile);
      if (code !== 0) failed.push(`${bench.args.join(' ')} (exit ${code})`);
    }
    const text = await readFile(reportFile, 'utf8').catch(() => '');
    const figures = text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as TFigure);
    console.log(`\n=== Tripcast benchmarks, ${new Date().toISOString()}, ${availableParallelism()} cores, node ${process.version}\n`);
    console.log(figures.length > 0 ? renderTable(figures) : '(no figures were reported)');
    const loaded = figures.filter((f) => verdictOf(f) === 'LOADED');
    if (loaded.length > 0)
      console.log(
        `\n${loaded.length} figure(s) were measured with a load average above ${availableParallelism()} (the core count): LOADED, no verdict. Run again on a quiet machine.`,
      );
    if (failed.length > 0) console.log(`\nbenchmarks that failed: ${failed.join('; ')}`);
    return failed.length > 0 ? 1 : 0;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
