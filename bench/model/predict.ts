// Feature preparation and predict throughput, batch-1 latency. Run: npx tsx bench/model/predict.ts [--help]
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import type { TModelCard } from '@tripcast/model';
import { computeFeatures, type TRideColumns } from '@tripcast/model/features';
import {
  additiveCardIo,
  buildAdditiveModel,
  buildLinearPairModel,
  encodeOnnxModel,
  linearPairCardIo,
  PAIR_TABLE_SIZE,
} from '@tripcast/model/onnx';
import { loadModel, sha256Hex } from '@tripcast/model/runtime';
import { currentLoad, reportFigure } from '../report';

const HELP = `Benchmarks @tripcast/model scoring on synthetic rides (real onnxruntime, real feature function).

Usage: npx tsx bench/model/predict.ts [--seconds <s>] [--threads <n>]
  --seconds   time budget per measurement (default 2)
  --threads   onnxruntime intra-op threads (default 1, what the apps use)

Prints rows/s for feature preparation and predict at batch 1, 4,096 and 1,000,000, p50/p99 latency at
batch 1, for the course recipe's graph (a Gather table) and the default zones recipe's graph, measured
alternately (course, zones, course, zones; each keeps its better round) with the zones/course ratio the
issue bounds at 1.5x (from the median call: µs at batch 1, ns/row above); then a LabelEncoder-on-PU_DO-strings model (the ai.onnx.ml form). Each figure is
printed next to the reference measured earlier on the same kind of 2-core machine (idle) or its target,
and the load average at the start and the end.`;

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '2' },
    threads: { type: 'string', default: '1' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
const budgetMs = Number(values.seconds) * 1000;
const threads = Number(values.threads);

function rides(n: number, seed = 1): TRideColumns {
  let a = seed;
  const next = () => (a = (Math.imul(a, 1664525) + 1013904223) >>> 0) / 4294967296;
  const columns: TRideColumns = {
    pu: new Int32Array(n),
    do: new Int32Array(n),
    distance: new Float32Array(n),
    pickupMs: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    columns.pickupMs![i] = Date.UTC(2024, 2, 1) + Math.floor(next() * 31 * 86_400_000);
    columns.pu[i] = 1 + Math.floor(next() * 265);
    columns.do[i] = 1 + Math.floor(next() * 265);
    columns.distance[i] = 0.3 + next() * 20;
  }
  return columns;
}

type TMeasured = { rowsPerSecond: number; p50: number; p99: number };

async function measure(
  run: () => Promise<unknown> | unknown,
  rowsPerCall: number,
): Promise<TMeasured> {
  const latencies: number[] = [];
  const warmUntil = performance.now() + Math.min(500, budgetMs / 4);
  while (performance.now() < warmUntil) await run();
  const started = performance.now();
  let rows = 0;
  while (performance.now() - started < budgetMs || latencies.length < 3) {
    const t0 = performance.now();
    await run();
    latencies.push(performance.now() - t0);
    rows += rowsPerCall;
  }
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((x, y) => x - y);
  const q = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!;
  return { rowsPerSecond: rows / elapsed, p50: q(0.5), p99: q(0.99) };
}

const fmt = (n: number) =>
  n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(0)}k` : n.toFixed(0);
const table: string[][] = [
  ['measurement', 'measured', 'reference (idle 2-core machine) or target'],
];

console.log(
  `load average at start: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(', ')} (${availableParallelism()} cores)`,
);
const dir = await mkdtemp(path.join(tmpdir(), 'tripcast-bench-'));

/** Writes model.onnx + card.json into dir/<version> and loads it through the runtime. */
async function loadBenchModel(
  version: string,
  onnx: Uint8Array,
  io: Pick<TModelCard, 'inputs' | 'output'>,
) {
  const folder = path.join(dir, version);
  await mkdir(folder);
  const card = {
    schemaVersion: 1,
    name: 'bench',
    version,
    createdAt: new Date().toISOString(),
    sha256: sha256Hex(onnx),
    ...io,
    metrics: {},
  };
  await writeFile(path.join(folder, 'model.onnx'), onnx);
  await writeFile(path.join(folder, 'card.json'), JSON.stringify(card));
  return { model: await loadModel(folder, { threads }), card };
}

try {
  // The course recipe's form ("today's graph"): a 266x266 Gather table; random coefficients give
  // the same work as a real model.
  const coefficients = new Float64Array(PAIR_TABLE_SIZE).map(
    (_, i) => ((i * 2654435761) % 1000) / 100 - 5,
  );
  const gather = await loadBenchModel(
    'gather',
    buildLinearPairModel({
      pairCoefficients: coefficients,
      distanceCoefficient: 2.1,
      intercept: 10,
    }),
    linearPairCardIo(),
  );

  // The default `zones` recipe's graph (with pickup time): same table sizes as a trained one.
  const synthetic = (size: number, scale: number) =>
    new Float64Array(size).map((_, i) => (((i * 2654435761) % 1000) / 1000 - 0.5) * scale);
  const zones = await loadBenchModel(
    'zones',
    buildAdditiveModel({
      levelTable: synthetic(PAIR_TABLE_SIZE, 20),
      slopeTable: synthetic(PAIR_TABLE_SIZE, 2),
      distanceClip: 60,
      knots: [0, 0.5, 1, 2, 3, 5, 8, 12],
      hingeWeights: [1.1, 4.7, -0.7, -0.6, -1.5, -1.3, 0.4, -1.5],
      zeroDistanceLevel: 8,
      rowSlopeFloor: -0.2,
      minDuration: 1,
      time: {
        hourLevel: synthetic(169, 4),
        hourSlope: synthetic(169, 0.5),
        hourBand: new Int32Array(169).map((_, h) => Math.floor(h / 3)),
        bandLevel: synthetic(49 * 57, 3),
        bands: 57,
      },
    }),
    additiveCardIo(true),
  );

  for (const n of [1, 4096, 1_000_000]) {
    const columns = rides(n);
    const batch = n.toLocaleString('en-US');
    const features = await measure(() => computeFeatures(columns, gather.card.inputs), n);
    table.push([
      `features (pair index) batch ${batch}`,
      `${fmt(features.rowsPerSecond)} rows/s`,
      '-',
    ]);
    const zonesFeatures = await measure(() => computeFeatures(columns, zones.card.inputs), n);
    table.push([
      `features (zones: pair, borough pair x hour) batch ${batch}`,
      `${fmt(zonesFeatures.rowsPerSecond)} rows/s`,
      '-',
    ]);

    // The two graphs alternate (course, zones, course, zones) and each keeps its better round, so
    // a burst of load from other work on the machine does not land on one of them only.
    const loadBefore = currentLoad();
    const best = (a: TMeasured, b: TMeasured): TMeasured => ({
      rowsPerSecond: Math.max(a.rowsPerSecond, b.rowsPerSecond),
      p50: Math.min(a.p50, b.p50),
      p99: Math.min(a.p99, b.p99),
    });
    let course = await measure(() => gather.model.predict(columns), n);
    let zoned = await measure(() => zones.model.predict(columns), n);
    course = best(course, await measure(() => gather.model.predict(columns), n));
    zoned = best(zoned, await measure(() => zones.model.predict(columns), n));

    const reference = n === 1_000_000 ? '~70M rows/s at batch 1M' : n === 1 ? '0.03 ms p50' : '-';
    table.push([
      `predict batch ${batch} (course Gather graph)`,
      `${fmt(course.rowsPerSecond)} rows/s`,
      reference,
    ]);
    if (n === 1)
      table.push([
        'predict batch 1 latency (course Gather graph)',
        `p50 ${(course.p50 * 1000).toFixed(1)} µs, p99 ${(course.p99 * 1000).toFixed(1)} µs`,
        'p50 0.03 ms (30 µs)',
      ]);
    // Batch 1 is latency; larger batches are time per row: both from the median call (p50), which
    // a burst of load from other work moves far less than the mean; both lower-is-better, so "within
    // 1.5x of the course graph" is a ratio of at most 1.5.
    const perCall = (m: TMeasured) => (n === 1 ? m.p50 * 1000 : (m.p50 * 1e6) / n);
    const unit = n === 1 ? 'µs' : 'ns/row';
    reportFigure({
      bench: 'model',
      name: n === 1 ? 'predict zones graph, batch 1 (p50)' : `predict zones graph, batch ${batch}`,
      value: perCall(zoned),
      unit,
      reference: { name: 'course Gather graph', value: perCall(course), unit },
      target: { kind: 'ratio-at-most', value: 1.5 },
      loadBefore,
    });
    table.push([
      `predict zones (default recipe, with time) batch ${batch}`,
      `${fmt(zoned.rowsPerSecond)} rows/s` +
        (n === 1
          ? `, p50 ${(zoned.p50 * 1000).toFixed(1)} µs, p99 ${(zoned.p99 * 1000).toFixed(1)} µs`
          : '') +
        `: ${(perCall(zoned) / perCall(course)).toFixed(2)}x the course graph`,
      'target: within 1.5x of the course graph',
    ]);
  }
  await gather.model.close();
  await zones.model.close();

  // The foreign form: PU_DO strings through ai.onnx.ml LabelEncoder (sklearn-onnx style).
  const keys: string[] = [];
  const weights: number[] = [];
  for (let pu = 1; pu <= 265; pu++)
    for (let d = 1; d <= 265; d += 3) {
      keys.push(`${pu}_${d}`);
      weights.push(((pu * 31 + d) % 100) / 10);
    }
  const labelOnnx = encodeOnnxModel({
    name: 'label_encoder_bench',
    opsets: [
      { domain: '', version: 17 },
      { domain: 'ai.onnx.ml', version: 2 },
    ],
    inputs: [
      { name: 'pu_do', type: 'string', shape: ['N'] },
      { name: 'distance', type: 'float', shape: ['N'] },
    ],
    outputs: [{ name: 'duration', type: 'float', shape: ['N'] }],
    initializers: [{ name: 'coef', type: 'float', dims: [], values: [2.1] }],
    nodes: [
      {
        opType: 'LabelEncoder',
        domain: 'ai.onnx.ml',
        inputs: ['pu_do'],
        outputs: ['w'],
        attributes: [
          { name: 'keys_strings', strings: keys },
          { name: 'values_floats', floats: weights },
          { name: 'default_float', float: 0 },
        ],
      },
      { opType: 'Mul', inputs: ['distance', 'coef'], outputs: ['dp'] },
      { opType: 'Add', inputs: ['w', 'dp'], outputs: ['duration'] },
    ],
  });
  const labelDir = path.join(dir, 'label');
  await mkdir(labelDir);
  await writeFile(path.join(labelDir, 'model.onnx'), labelOnnx);
  await writeFile(
    path.join(labelDir, 'card.json'),
    JSON.stringify({
      schemaVersion: 1,
      name: 'bench',
      version: 'label',
      createdAt: new Date().toISOString(),
      sha256: sha256Hex(labelOnnx),
      inputs: [
        { name: 'pu_do', feature: 'PU_DO', type: 'string' },
        { name: 'distance', feature: 'trip_distance', type: 'float32' },
      ],
      output: { name: 'duration', unit: 'minutes' },
      metrics: {},
    }),
  );
  const labelModel = await loadModel(labelDir, { threads });
  const big = rides(1_000_000);
  const labelFeatures = await measure(
    () => computeFeatures(big, [{ feature: 'PU_DO', type: 'string' }]),
    1_000_000,
  );
  table.push([
    'features (PU_DO strings) batch 1,000,000',
    `${fmt(labelFeatures.rowsPerSecond)} rows/s`,
    '-',
  ]);
  const label = await measure(() => labelModel.predict(big), 1_000_000);
  table.push([
    'predict LabelEncoder model batch 1,000,000',
    `${fmt(label.rowsPerSecond)} rows/s`,
    '~13x slower than Gather (~5M rows/s)',
  ]);
  await labelModel.close();
} finally {
  await rm(dir, { recursive: true, force: true });
}

const widths = table[0]!.map((_, c) => Math.max(...table.map((r) => r[c]!.length)));
for (const row of table) console.log(row.map((cell, c) => cell.padEnd(widths[c]!)).join('  '));
console.log(
  `\n(onnxruntime intra-op threads: ${threads}; ${budgetMs / 1000} s per measurement; load average at the end ${loadavg()
    .map((l) => l.toFixed(2))
    .join(', ')})`,
);
