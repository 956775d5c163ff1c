// Read and training time on a generated 3M-row month. Run: npx tsx bench/model/train.ts [--help]
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { trainModel, TRAINING_SOLVERS } from '@tripcast/model/training';
import { generateTripMonth, readTripMonth, validateTripChunk } from '@tripcast/model/trips';
import { currentLoad, reportFigure } from '../report';

const HELP = `Benchmarks the TLC reader and training on a generated month.

Usage: npx tsx bench/model/train.ts [--rows <n>] [--regenerate]
  --rows         trips in the generated month (default 3000000)
  --regenerate   write the month again even if it is cached in $TMPDIR/tripcast-bench

Prints generation time, reader rows/s (read + validate, chunked typed arrays) and training time for
each solver, next to the issue's target (< 15 s for a 3M-row month).`;

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '3000000' },
    regenerate: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
const rows = Number(values.rows);
const dir = path.join(tmpdir(), 'tripcast-bench', `rows-${rows}`);
await mkdir(dir, { recursive: true });
const file = path.join(dir, 'yellow_tripdata_2024-03.parquet');
const table: string[][] = [['measurement', 'measured', 'reference']];

if (values.regenerate || !existsSync(file)) {
  const t0 = performance.now();
  await generateTripMonth({
    taxiType: 'yellow',
    year: 2024,
    month: 3,
    rows,
    seed: 7,
    outPath: file,
  });
  table.push([
    `generate ${rows.toLocaleString('en-US')} trips (DuckDB)`,
    `${((performance.now() - t0) / 1000).toFixed(1)} s`,
    '-',
  ]);
}

{
  const t0 = performance.now();
  let n = 0;
  let valid = 0;
  for await (const chunk of readTripMonth(file)) {
    n += chunk.length;
    valid += validateTripChunk(chunk, {
      year: 2024,
      month: 3,
      requireCourseDuration: true,
    }).validCount;
  }
  const seconds = (performance.now() - t0) / 1000;
  table.push([
    `read + validate ${n.toLocaleString('en-US')} rows`,
    `${seconds.toFixed(2)} s (${(n / seconds / 1e6).toFixed(2)}M rows/s, ${valid.toLocaleString('en-US')} valid)`,
    '3M rows read+filter+score+write ~3 s (DuckDB, idle 2-core machine)',
  ]);
}

const runs = [
  ...TRAINING_SOLVERS.map((solver) => ({
    label: `course, ${solver}`,
    options: { recipe: 'course' as const, solver },
  })),
  { label: 'zones, default', options: { recipe: 'zones' as const } },
  { label: 'zones, no time', options: { recipe: 'zones' as const, params: { useTime: false } } },
];
let courseSeconds: number | undefined;
for (const run of runs) {
  const loadBefore = currentLoad();
  const t0 = performance.now();
  const { card } = await trainModel({ trainFiles: [file], ...run.options });
  const total = (performance.now() - t0) / 1000;
  courseSeconds ??= total;
  reportFigure({
    bench: 'model',
    name: `train ${run.label}, ${(rows / 1e6).toFixed(1)}M rows`,
    value: total,
    unit: 's',
    ...(run.options.recipe === 'zones' && courseSeconds !== undefined
      ? { reference: { name: 'course recipe, same rows', value: courseSeconds, unit: 's' } }
      : {}),
    target: { kind: 'at-most', value: 15 },
    loadBefore,
  });
  table.push([
    `train (${run.label}) on ${rows.toLocaleString('en-US')} trips`,
    `${total.toFixed(2)} s total, fit ${card.training?.trainSeconds?.toFixed(2)} s (train RMSE ${card.metrics.train?.rmse.toFixed(3)})`,
    'target: < 15 s for a 3M-row month',
  ]);
}

const widths = table[0]!.map((_, c) => Math.max(...table.map((r) => r[c]!.length)));
for (const row of table) console.log(row.map((cell, c) => cell.padEnd(widths[c]!)).join('  '));
console.log(
  `\n(machine load ${loadavg()[0]!.toFixed(1)} on ${(await import('node:os')).cpus().length} cores; "fit" = read + statistics + solve, "total" adds the ONNX export check)`,
);
