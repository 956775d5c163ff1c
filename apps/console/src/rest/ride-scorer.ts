import type { TRideColumns, TScoringModel } from '@tripcast/model/features';
import type { TLoadedModel } from '@tripcast/model/runtime';

export type TScoredRides = { durations: Float32Array; modelName: string; modelVersion: string };

/** Scores rides with ONE model, so every duration in a response comes from the version it reports. */
export type TRideScorer = (columns: TRideColumns) => Promise<TScoredRides>;

/** Concatenate ride columns (pickup times kept: a zones model reads them). */
export function concatRideColumns(parts: readonly TRideColumns[]): TRideColumns {
  if (parts.length === 1) return parts[0]!;
  const total = parts.reduce((sum, part) => sum + part.pu.length, 0);
  const merged: TRideColumns = { pu: new Int32Array(total), do: new Int32Array(total), distance: new Float64Array(total) };
  const hasPickup = parts.some((part) => part.pickupMs);
  if (hasPickup) merged.pickupMs = new Float64Array(total).fill(Number.NaN);
  let offset = 0;
  for (const part of parts) {
    merged.pu.set(part.pu, offset);
    merged.do.set(part.do, offset);
    merged.distance.set(part.distance, offset);
    if (part.pickupMs) merged.pickupMs!.set(part.pickupMs, offset);
    offset += part.pu.length;
  }
  return merged;
}

/** No micro-batching: each request is one onnxruntime run on the shared session. */
export function createDirectScorer(getModel: () => TScoringModel): TRideScorer {
  return async (columns) => {
    // Read the model once: a promotion landing mid-request must not mix versions.
    const model = getModel();
    const durations = await model.predict(columns);
    return { durations, modelName: model.name, modelVersion: model.version };
  };
}

/** A model that can also predict on the calling thread, as @tripcast/model/runtime's loaded models do. */
export type TSyncScoringModel = TScoringModel & Pick<TLoadedModel, 'predictSync'>;

/**
 * Micro-batching: rides of requests that reach the scorer in the same event-loop turn are
 * concatenated into ONE onnxruntime run (setImmediate closes the window: no added timer delay),
 * then split back per request. Requests larger than `maxBatchRides` run on their own.
 * Whether this pays off is measured by bench/online/micro-batch.ts (see the README there).
 *
 * The window's run is `predictSync`: onnxruntime-node's `run` is the same synchronous call, only
 * deferred by one more setImmediate and wrapped in a promise and argument checks, and the window
 * already runs in a turn of its own (measured: +1-8% requests/s, p99 6-7 -> 5 ms under load).
 */
export function createMicroBatchingScorer(
  getModel: () => TSyncScoringModel,
  options: { maxBatchRides?: number } = {},
): TRideScorer {
  const maxBatchRides = options.maxBatchRides ?? 512;
  const direct = createDirectScorer(getModel);
  type TPending = { columns: TRideColumns; resolve: (result: TScoredRides) => void; reject: (error: unknown) => void };
  let pending: TPending[] = [];
  let pendingRides = 0;

  function runPending(): void {
    const batch = pending;
    pending = [];
    pendingRides = 0;
    if (batch.length === 0) return;
    let model: TSyncScoringModel;
    let durations: Float32Array;
    try {
      model = getModel();
      // Pickup times travel with the rides: a zones model reads them (hour of week).
      durations = model.predictSync(concatRideColumns(batch.map((p) => p.columns)));
    } catch (error) {
      for (const p of batch) p.reject(error);
      return;
    }
    let start = 0;
    for (const p of batch) {
      const n = p.columns.pu.length;
      p.resolve({ durations: durations.subarray(start, start + n), modelName: model.name, modelVersion: model.version });
      start += n;
    }
  }

  return (columns) => {
    if (columns.pu.length >= maxBatchRides) return direct(columns);
    return new Promise<TScoredRides>((resolve, reject) => {
      if (pendingRides + columns.pu.length > maxBatchRides) runPending();
      if (pending.length === 0) setImmediate(runPending);
      pending.push({ columns, resolve, reject });
      pendingRides += columns.pu.length;
    });
  };
}
