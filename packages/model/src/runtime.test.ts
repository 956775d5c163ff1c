import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { TRideColumns } from './features';
import type { TModelCardInput } from './model-card';
import { buildLinearPairModel, linearPairCardIo, PAIR_TABLE_SIZE } from './onnx/linear-pair-model';
import { encodeOnnxModel, findExternalData } from './onnx/onnx-proto';
import { assertSelfContainedOnnx, loadModel, ModelIntegrityError, sha256Hex } from './runtime';

/** Deterministic PRNG (mulberry32) so a failure reproduces. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function cardFor(
  bytes: Uint8Array,
  io: Pick<TModelCardInput, 'inputs' | 'output'>,
  version = '1',
): TModelCardInput {
  return {
    schemaVersion: 1,
    name: 'test_model',
    version,
    createdAt: new Date().toISOString(),
    sha256: sha256Hex(bytes),
    ...io,
  };
}

async function writeModelDir(dir: string, bytes: Uint8Array, card: unknown) {
  await writeFile(path.join(dir, 'model.onnx'), bytes);
  await writeFile(path.join(dir, 'card.json'), JSON.stringify(card));
}

function randomRides(n: number, seed: number): TRideColumns {
  const next = rng(seed);
  const columns: TRideColumns = {
    pu: new Int32Array(n),
    do: new Int32Array(n),
    distance: new Float32Array(n),
  };
  for (let i = 0; i < n; i++) {
    columns.pu[i] = 1 + Math.floor(next() * 265);
    columns.do[i] = 1 + Math.floor(next() * 265);
    columns.distance[i] = 0.1 + next() * 30;
  }
  return columns;
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tripcast-runtime-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('linear pair model (standard ops)', () => {
  // Half the pairs "seen" with a coefficient, the rest unseen (0): unseen rows must get intercept only.
  const next = rng(7);
  const pairCoefficients = new Float64Array(PAIR_TABLE_SIZE);
  for (let i = 0; i < PAIR_TABLE_SIZE; i++)
    if (next() < 0.5) pairCoefficients[i] = (next() - 0.5) * 40;
  const spec = { pairCoefficients, distanceCoefficient: 2.3456, intercept: 9.87 };

  it('predicts what the linear model computes in float64, to 1e-4 minutes, at batch 1 and 100k', async () => {
    const bytes = buildLinearPairModel(spec);
    const modelDir = path.join(dir, 'linear');
    await mkdir(modelDir);
    await writeModelDir(modelDir, bytes, cardFor(bytes, linearPairCardIo()));
    const model = await loadModel(modelDir);
    expect(model.version).toBe('1');
    for (const n of [1, 100_000]) {
      const rides = randomRides(n, n);
      const predicted = await model.predict(rides);
      // The synchronous path (the batch scorer's, inside a DuckDB query) gives the same values.
      expect(model.predictSync(rides)).toEqual(predicted);
      expect(predicted).toBeInstanceOf(Float32Array);
      expect(predicted).toHaveLength(n);
      let maxError = 0;
      let unseen = 0;
      for (let i = 0; i < n; i++) {
        const coef = pairCoefficients[rides.pu[i]! * 266 + rides.do[i]!]!;
        if (coef === 0) unseen++;
        const expected = spec.intercept + coef + rides.distance[i]! * spec.distanceCoefficient;
        maxError = Math.max(maxError, Math.abs(predicted[i]! - expected));
      }
      expect(maxError).toBeLessThan(1e-4);
      if (n > 1) expect(unseen).toBeGreaterThan(n / 3);
    }
    await model.close();
  });

  it('refuses a model whose sha256 does not match its card', async () => {
    const bytes = buildLinearPairModel(spec);
    const modelDir = path.join(dir, 'tampered');
    await mkdir(modelDir);
    const tampered = Uint8Array.from(bytes);
    tampered[tampered.length - 1]! ^= 1;
    await writeModelDir(modelDir, tampered, cardFor(bytes, linearPairCardIo()));
    await expect(loadModel(modelDir)).rejects.toBeInstanceOf(ModelIntegrityError);
  });

  it('refuses a card whose input names are not in the graph', async () => {
    const bytes = buildLinearPairModel(spec);
    const modelDir = path.join(dir, 'misnamed');
    await mkdir(modelDir);
    const io = linearPairCardIo();
    io.inputs[0]!.name = 'nope';
    await writeModelDir(modelDir, bytes, cardFor(bytes, io));
    await expect(loadModel(modelDir)).rejects.toThrow(/"nope" is not an input/);
  });
});

describe('a foreign model (ai.onnx.ml LabelEncoder on PU_DO strings, float64 [N,1] distance)', () => {
  // Built the way sklearn-onnx style exporters do it: string categories, column tensors, doubles,
  // and an operator domain our own exporter never uses. It must score through the same API.
  const weights = new Map([
    ['10_50', 5.5],
    ['130_205', -2.25],
    ['1_1', 12],
  ]);
  const intercept = 3.5;
  const coef = 1.75;
  const bytes = encodeOnnxModel({
    name: 'foreign_label_encoder',
    opsets: [
      { domain: '', version: 17 },
      { domain: 'ai.onnx.ml', version: 2 },
    ],
    inputs: [
      { name: 'pu_do_str', type: 'string', shape: ['N', 1] },
      { name: 'distance_d', type: 'double', shape: ['N', 1] },
    ],
    outputs: [{ name: 'variable', type: 'double', shape: ['N', 1] }],
    initializers: [
      { name: 'coef', type: 'double', dims: [], values: [coef] },
      { name: 'intercept', type: 'double', dims: [], values: [intercept] },
    ],
    nodes: [
      {
        opType: 'LabelEncoder',
        domain: 'ai.onnx.ml',
        inputs: ['pu_do_str'],
        outputs: ['pair_w'],
        attributes: [
          { name: 'keys_strings', strings: [...weights.keys()] },
          { name: 'values_floats', floats: [...weights.values()] },
          { name: 'default_float', float: 0 },
        ],
      },
      {
        opType: 'Cast',
        inputs: ['pair_w'],
        outputs: ['pair_w_d'],
        attributes: [{ name: 'to', int: 11 }],
      },
      { opType: 'Mul', inputs: ['distance_d', 'coef'], outputs: ['dist_part'] },
      { opType: 'Add', inputs: ['pair_w_d', 'dist_part'], outputs: ['sum'] },
      { opType: 'Add', inputs: ['sum', 'intercept'], outputs: ['variable'] },
    ],
  });

  it('loads through the card input mapping and scores', async () => {
    const modelDir = path.join(dir, 'foreign');
    await mkdir(modelDir);
    await writeModelDir(
      modelDir,
      bytes,
      cardFor(bytes, {
        inputs: [
          { name: 'pu_do_str', feature: 'PU_DO', type: 'string', isColumn: true },
          { name: 'distance_d', feature: 'trip_distance', type: 'float64', isColumn: true },
        ],
        output: { name: 'variable', unit: 'minutes' },
      }),
    );
    const model = await loadModel(modelDir);
    const rides: TRideColumns = {
      pu: Int32Array.from([10, 130, 1, 7]),
      do: Int32Array.from([50, 205, 1, 8]),
      distance: Float64Array.from([2, 3.66, 0.5, 10]),
    };
    const predicted = await model.predict(rides);
    expect(model.predictSync(rides)).toEqual(predicted); // the synchronous path, same values
    const expected = [5.5 + 2 * coef, -2.25 + 3.66 * coef, 12 + 0.5 * coef, 10 * coef].map(
      (v) => v + intercept,
    );
    expected.forEach((v, i) => expect(predicted[i]).toBeCloseTo(v, 4));
    await model.close();
  });
});

describe('a model with int64 zone inputs', () => {
  it('gets PULocationID/DOLocationID as BigInt64 tensors through the card mapping', async () => {
    // duration = PU * 0.5 + DO * 0.25 + distance (float32), exercising Cast from int64.
    const bytes = encodeOnnxModel({
      name: 'int64_inputs',
      inputs: [
        { name: 'pu', type: 'int64', shape: ['N'] },
        { name: 'do', type: 'int64', shape: ['N'] },
        { name: 'd', type: 'float', shape: ['N'] },
      ],
      outputs: [{ name: 'y', type: 'float', shape: ['N'] }],
      initializers: [
        { name: 'half', type: 'float', dims: [], values: [0.5] },
        { name: 'quarter', type: 'float', dims: [], values: [0.25] },
      ],
      nodes: [
        { opType: 'Cast', inputs: ['pu'], outputs: ['puf'], attributes: [{ name: 'to', int: 1 }] },
        { opType: 'Cast', inputs: ['do'], outputs: ['dof'], attributes: [{ name: 'to', int: 1 }] },
        { opType: 'Mul', inputs: ['puf', 'half'], outputs: ['a'] },
        { opType: 'Mul', inputs: ['dof', 'quarter'], outputs: ['b'] },
        { opType: 'Add', inputs: ['a', 'b'], outputs: ['ab'] },
        { opType: 'Add', inputs: ['ab', 'd'], outputs: ['y'] },
      ],
    });
    const modelDir = path.join(dir, 'int64');
    await mkdir(modelDir);
    await writeModelDir(
      modelDir,
      bytes,
      cardFor(bytes, {
        inputs: [
          { name: 'pu', feature: 'PULocationID', type: 'int64' },
          { name: 'do', feature: 'DOLocationID', type: 'int64' },
          { name: 'd', feature: 'trip_distance', type: 'float32' },
        ],
        output: { name: 'y', unit: 'minutes' },
      }),
    );
    const model = await loadModel(modelDir);
    const predicted = await model.predict({
      pu: Int32Array.from([10, 265]),
      do: Int32Array.from([40, 1]),
      distance: Float64Array.from([1.5, 0]),
    });
    expect(Array.from(predicted)).toEqual([10 * 0.5 + 40 * 0.25 + 1.5, 265 * 0.5 + 0.25]);
    const syncPredicted = model.predictSync({
      pu: Int32Array.from([10, 265]),
      do: Int32Array.from([40, 1]),
      distance: Float64Array.from([1.5, 0]),
    });
    expect(syncPredicted).toEqual(predicted); // the synchronous path, BigInt64 tensors too
    expect(
      await model.predict({
        pu: new Int32Array(0),
        do: new Int32Array(0),
        distance: new Float32Array(0),
      }),
    ).toHaveLength(0);
    await model.close();
  });
});

describe('models with external data (an upload must not read server files)', () => {
  // onnxruntime reads an "external data" tensor from a path relative to the loading process's
  // working folder. With the tensor also listed as a graph input, it is not constant-folded and
  // the file's bytes come back as predictions: here 12.5 min per mile, read from a file next to
  // the process, would be "predicted" without the refusal. Every load must refuse such a model.
  const SECRET_FILE = `.tripcast-external-data-probe-${process.pid}.bin`;
  const secretPath = path.join(process.cwd(), SECRET_FILE);
  const externalWeight = { name: 'W', type: 'float' as const, dims: [1], values: [0], externalData: { location: SECRET_FILE, offset: 0, length: 4 } };
  const leakingModel = encodeOnnxModel({
    name: 'reads_a_file',
    inputs: [
      { name: 'trip_distance', type: 'float', shape: ['N'] },
      { name: 'W', type: 'float', shape: [1] },
    ],
    outputs: [{ name: 'duration', type: 'float', shape: ['N'] }],
    initializers: [externalWeight],
    nodes: [{ opType: 'Mul', inputs: ['trip_distance', 'W'], outputs: ['duration'] }],
  });
  const io = {
    inputs: [{ name: 'trip_distance', feature: 'trip_distance' as const, type: 'float32' as const }],
    output: { name: 'duration', unit: 'minutes' as const },
  };

  beforeAll(async () => {
    await writeFile(secretPath, new Uint8Array(Float32Array.from([12.5]).buffer));
  });
  afterAll(async () => {
    await rm(secretPath, { force: true });
  });

  it('loadModel refuses it before onnxruntime opens it, naming the tensor and its location', async () => {
    const modelDir = path.join(dir, 'external-data');
    await mkdir(modelDir);
    await writeModelDir(modelDir, leakingModel, cardFor(leakingModel, io));
    const error = await loadModel(modelDir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelIntegrityError);
    expect((error as Error).message).toMatch(/external data/);
    expect((error as Error).message).toContain(`initializer "W" (location ${SECRET_FILE})`);
  });

  it('finds external data wherever a tensor can sit: Constant values and subgraphs too', () => {
    const constant = encodeOnnxModel({
      name: 'constant_node',
      inputs: [{ name: 'x', type: 'float', shape: ['N'] }],
      outputs: [{ name: 'y', type: 'float', shape: ['N'] }],
      initializers: [],
      nodes: [
        { opType: 'Constant', inputs: [], outputs: ['c'], attributes: [{ name: 'value', tensor: externalWeight }] },
        { opType: 'Mul', inputs: ['x', 'c'], outputs: ['y'] },
      ],
    });
    expect(findExternalData(constant)).toEqual([`node constant_0 attribute value tensor "W" (location ${SECRET_FILE})`]);
    const branch = (name: string, initializers: typeof externalWeight[]) => ({
      name,
      inputs: [],
      outputs: [{ name: `${name}_out`, type: 'float' as const, shape: [1] }],
      initializers: initializers.length ? initializers : [{ name: 'one', type: 'float' as const, dims: [1], values: [1] }],
      nodes: [{ opType: 'Identity', inputs: [initializers.length ? 'W' : 'one'], outputs: [`${name}_out`] }],
    });
    const subgraph = encodeOnnxModel({
      name: 'if_node',
      inputs: [{ name: 'cond', type: 'int64', shape: [] }],
      outputs: [{ name: 'y', type: 'float', shape: [1] }],
      initializers: [],
      nodes: [{
        opType: 'If',
        inputs: ['cond'],
        outputs: ['y'],
        attributes: [{ name: 'then_branch', graph: branch('then', [externalWeight]) }, { name: 'else_branch', graph: branch('else', []) }],
      }],
    });
    expect(findExternalData(subgraph)).toEqual([`node if_0 attribute then_branch subgraph initializer "W" (location ${SECRET_FILE})`]);
    expect(() => assertSelfContainedOnnx(subgraph)).toThrow(ModelIntegrityError);
    // Our own models are self-contained.
    expect(findExternalData(buildLinearPairModel({ pairCoefficients: new Float64Array(PAIR_TABLE_SIZE), distanceCoefficient: 1, intercept: 2 }))).toEqual([]);
  });
});
