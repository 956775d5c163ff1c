import { createHash } from 'node:crypto';

import * as ort from 'onnxruntime-node';
// The native session onnxruntime-node's own backend wraps: its run() is synchronous (the public
// InferenceSession.run only defers it to a promise). Pinned onnxruntime-node version; a test
// checks it against the public API.
import { binding } from 'onnxruntime-node/dist/binding.js';

import { computeFeatures, type TFeatureValues, type TRideColumns } from './features';
import { ZModelCard, type TModelCard, type TModelInput } from './model-card';
import { joinUri, readObject, type TObjectStoreOptions } from './object-store';
import { findExternalData } from './onnx/onnx-proto';

export const MODEL_FILE = 'model.onnx';
export const CARD_FILE = 'card.json';

export type TLoadedModel = {
  card: TModelCard;
  name: string;
  version: string;
  sha256: string;
  /** Where it was loaded from (the folder or prefix holding model.onnx and card.json). */
  uri: string;
  /** Columnar rides in, predicted minutes out (one per row). Goes through computeFeatures. */
  predict(columns: TRideColumns): Promise<Float32Array>;
  /**
   * The same prediction, on the calling thread: for callers that must answer synchronously, such
   * as a DuckDB scalar function scoring the vectors of a query while it runs (the batch scorer).
   */
  predictSync(columns: TRideColumns): Float32Array;
  close(): Promise<void>;
};

export type TLoadModelOptions = TObjectStoreOptions & {
  /** onnxruntime intra-op threads; default 1 (the scorer, consumer and console share few cores). */
  threads?: number;
};

export class ModelIntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelIntegrityError';
  }
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Refuses ONNX bytes that are not self-contained: a tensor stored as external data makes
 * onnxruntime read a file relative to the working folder of whichever process loads the model
 * (console, scorer, consumer), i.e. an uploaded model could read the server's own files. Every
 * load goes through createLoadedModel, which calls this; registration calls it too.
 */
export function assertSelfContainedOnnx(bytes: Uint8Array, label = 'model.onnx'): void {
  let external: string[];
  try {
    external = findExternalData(bytes);
  } catch (error) {
    throw new ModelIntegrityError(`${label} is not an ONNX model: ${(error as Error).message}`);
  }
  if (external.length > 0) {
    const shown = external.slice(0, 3).join(', ') + (external.length > 3 ? `, and ${external.length - 3} more` : '');
    throw new ModelIntegrityError(
      `${label} keeps tensor data outside the file (ONNX external data), which is refused: ${shown}. Save the model with all tensors inside it.`,
    );
  }
}

function toTensor(values: TFeatureValues, input: TModelInput): ort.Tensor {
  const n = values.length;
  const dims = input.isColumn ? [n, 1] : [n];
  switch (input.type) {
    case 'string':
      return new ort.Tensor('string', values as string[], dims);
    case 'int64':
      return new ort.Tensor('int64', values as BigInt64Array, dims);
    case 'int32':
      return new ort.Tensor('int32', values as Int32Array, dims);
    case 'float32':
      return new ort.Tensor('float32', values as Float32Array, dims);
    case 'float64':
      return new ort.Tensor('float64', values as Float64Array, dims);
  }
}

/** Build a TLoadedModel from bytes already in hand (used by loadModel and by training's self-check). */
export async function createLoadedModel(
  modelBytes: Uint8Array,
  cardJson: unknown,
  options: { uri?: string; threads?: number } = {},
): Promise<TLoadedModel> {
  const card = ZModelCard.parse(cardJson);
  const sha256 = sha256Hex(modelBytes);
  if (sha256 !== card.sha256) {
    throw new ModelIntegrityError(
      `model.onnx sha256 ${sha256} does not match the card's ${card.sha256} (${options.uri ?? card.name + '/' + card.version})`,
    );
  }
  assertSelfContainedOnnx(modelBytes);
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: options.threads ?? 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  };
  const session = await ort.InferenceSession.create(modelBytes, sessionOptions);
  for (const input of card.inputs) {
    if (!session.inputNames.includes(input.name)) {
      throw new ModelIntegrityError(
        `card input "${input.name}" is not an input of the ONNX graph (${session.inputNames.join(', ')})`,
      );
    }
  }
  if (!session.outputNames.includes(card.output.name)) {
    throw new ModelIntegrityError(
      `card output "${card.output.name}" is not an output of the ONNX graph`,
    );
  }

  // Opened on the first predictSync only (most processes never call it). The public session
  // above has already initialised onnxruntime, which the native one needs.
  let syncSession: InstanceType<typeof binding.InferenceSession> | null = null;
  const feedsOf = (columns: TRideColumns): Record<string, ort.Tensor> => {
    const features = computeFeatures(columns, card.inputs);
    const feeds: Record<string, ort.Tensor> = {};
    for (const input of card.inputs) feeds[input.name] = toTensor(features[input.feature]!, input);
    return feeds;
  };
  const outputOf = (data: ort.Tensor['data'], n: number): Float32Array => {
    if (data.length !== n) throw new Error(`model returned ${data.length} values for ${n} rows`);
    // Our own models already return float32: hand the buffer over without a copy.
    return data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
  };

  return {
    card,
    name: card.name,
    version: card.version,
    sha256,
    uri: options.uri ?? '',
    async predict(columns) {
      const n = columns.pu.length;
      if (n === 0) return new Float32Array(0);
      const results = await session.run(feedsOf(columns), [card.output.name]);
      return outputOf(results[card.output.name]!.data, n);
    },
    predictSync(columns) {
      const n = columns.pu.length;
      if (n === 0) return new Float32Array(0);
      if (!syncSession) {
        syncSession = new binding.InferenceSession();
        syncSession.loadModel(
          modelBytes.buffer as ArrayBuffer,
          modelBytes.byteOffset,
          modelBytes.byteLength,
          sessionOptions,
        );
      }
      const results = syncSession.run(feedsOf(columns), { [card.output.name]: null }, {});
      return outputOf((results[card.output.name] as ort.Tensor).data, n);
    },
    async close() {
      syncSession?.dispose();
      syncSession = null;
      await session.release();
    },
  };
}

/**
 * Load a model from a folder or `s3://` prefix holding `model.onnx` and `card.json`. Verifies the
 * card against its schema and the file's sha256, then opens ONE onnxruntime session reused by every
 * predict call.
 */
export async function loadModel(
  uri: string,
  options: TLoadModelOptions = {},
): Promise<TLoadedModel> {
  const [modelBytes, cardBytes] = await Promise.all([
    readObject(joinUri(uri, MODEL_FILE), options),
    readObject(joinUri(uri, CARD_FILE), options),
  ]);
  let cardJson: unknown;
  try {
    cardJson = JSON.parse(new TextDecoder().decode(cardBytes));
  } catch (error) {
    throw new ModelIntegrityError(
      `card.json at ${uri} is not valid JSON: ${(error as Error).message}`,
    );
  }
  return createLoadedModel(modelBytes, cardJson, { uri, threads: options.threads });
}
