// Feature preparation and predict throughput, batch-1 latency. Run: npx tsx bench/model/predict.ts [--help]
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

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
batch 1, and the same for a LabelEncoder-on-PU_DO-strings model (the ai.onnx.ml form), each next to the
reference figure measured earlier on the same kind of 2-core machine (idle) or the target it must meet.`;

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

async function measure(run: () => Promise<unknown> | unknown, rowsPerCall: number) {
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
const table: string[][] = [['measurement', 'measured', 'reference (idle 2-core machine) or target']];

const gatherPredict = new Map<number, { p50: number; rowsPerSecond: number }>();
const dir = await mkdtemp(path.join(tmpdir(), 'tripcast-bench-'));
try {
  // The trained form: a 266x266 Gather table; random coefficients give the same work as a real model.
  const coefficients = new Float64Array(PAIR_TABLE_SIZE).map(
    (_, i) => ((i * 2654435761) % 1000) / 100 - 5,
  );
  const onnx = buildLinearPairModel({
    pairCoefficients: coefficients,
    distanceCoefficient: 2.1,
    intercept: 10,
  });
  const card = {
    schemaVersion: 1,
    name: 'bench',
    version: 'gather',
    createdAt: new Date().toISOString(),
    sha256: sha256Hex(onnx),
    ...linearPairCardIo(),
    metrics: {},
  };
  await writeFile(path.join(dir, 'model.onnx'), onnx);
  await writeFile(path.join(dir, 'card.json'), JSON.stringify(card));
  const model = await loadModel(dir, { threads });

  for (const n of [1, 4096, 1_000_000]) {
    const columns = rides(n);
    const features = await measure(() => computeFeatures(columns, card.inputs), n);
    table.push([
      `features (pair index) batch ${n.toLocaleString('en-US')}`,
      `${fmt(features.rowsPerSecond)} rows/s`,
      '-',
    ]);
    const predict = await measure(() => model.predict(columns), n);
    gatherPredict.set(n, predict);
    const reference = n === 1_000_000 ? '~70M rows/s at batch 1M' : n === 1 ? '0.03 ms p50' : '-';
    table.push([
      `predict batch ${n.toLocaleString('en-US')}`,
      `${fmt(predict.rowsPerSecond)} rows/s`,
      reference,
    ]);
    if (n === 1)
      table.push([
        'predict batch 1 latency',
        `p50 ${(predict.p50 * 1000).toFixed(1)} µs, p99 ${(predict.p99 * 1000).toFixed(1)} µs`,
        'p50 0.03 ms (30 µs)',
      ]);
  }
  await model.close();

  // The default `zones` recipe's graph (with pickup time): same sizes as a trained one.
  {
    const weights = (size: number, scale: number) =>
      new Float64Array(size).map((_, i) => (((i * 2654435761) % 1000) / 1000 - 0.5) * scale);
    const zonesOnnx = buildAdditiveModel({
      levelTable: weights(PAIR_TABLE_SIZE, 20),
      slopeTable: weights(PAIR_TABLE_SIZE, 2),
      distanceClip: 60,
      knots: [0, 0.5, 1, 2, 3, 5, 8, 12],
      hingeWeights: [1.1, 4.7, -0.7, -0.6, -1.5, -1.3, 0.4, -1.5],
      zeroDistanceLevel: 8,
      rowSlopeFloor: -0.2,
      time: {
        hourLevel: weights(169, 4),
        hourSlope: weights(169, 0.5),
        bandLevel: weights(49 * 57, 3),
        pairBandBase: new Int32Array(PAIR_TABLE_SIZE).map((_, i) => (i % 49) * 57),
        hourBand: new Int32Array(169).map((_, h) => Math.floor(h / 3)),
      },
    });
    const zonesDir = path.join(dir, 'zones');
    await (await import('node:fs/promises')).mkdir(zonesDir);
    const zonesCard = {
      schemaVersion: 1,
      name: 'bench',
      version: 'zones',
      createdAt: new Date().toISOString(),
      sha256: sha256Hex(zonesOnnx),
      ...additiveCardIo(true),
      metrics: {},
    };
    await writeFile(path.join(zonesDir, 'model.onnx'), zonesOnnx);
    await writeFile(path.join(zonesDir, 'card.json'), JSON.stringify(zonesCard));
    const zones = await loadModel(zonesDir, { threads });
    for (const n of [1, 4096, 1_000_000]) {
      const columns = rides(n);
      const loadBefore = currentLoad();
      const predict = await measure(() => zones.predict(columns), n);
      const gather = gatherPredict.get(n);
      // Batch 1 is latency (p50); larger batches are time per row: both lower-is-better, so
      // "within 1.5x of the Gather graph" is a ratio of at most 1.5.
      const perCall = (m: { p50: number; rowsPerSecond: number }) => (n === 1 ? m.p50 * 1000 : 1e9 / m.rowsPerSecond);
      reportFigure({
        bench: 'model',
        name: n === 1 ? 'predict zones graph, batch 1 (p50)' : `predict zones graph, batch ${n.toLocaleString('en-US')}`,
        value: perCall(predict),
        unit: n === 1 ? 'µs' : 'ns/row',
        ...(gather ? { reference: { name: 'course Gather graph', value: perCall(gather), unit: n === 1 ? 'µs' : 'ns/row' } } : {}),
        target: { kind: 'ratio-at-most', value: 1.5 },
        loadBefore,
      });
      table.push([
        `predict zones (default recipe, with time) batch ${n.toLocaleString('en-US')}`,
        `${fmt(predict.rowsPerSecond)} rows/s` +
          (n === 1 ? `, p50 ${(predict.p50 * 1000).toFixed(1)} µs` : ''),
        'target: within 1.5x of the Gather graph above',
      ]);
    }
    await zones.close();
  }

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
  const { mkdir } = await import('node:fs/promises');
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
  `\n(onnxruntime intra-op threads: ${threads}; ${budgetMs / 1000} s per measurement; machine load ${(await import('node:os')).loadavg()[0]!.toFixed(1)})`,
);
