import type { TRideColumns, TScoringModel } from '@tripcast/model/features';

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

/**
 * Micro-batching: rides of requests that reach the scorer in the same event-loop turn are
 * concatenated into ONE onnxruntime run (setImmediate closes the window: no added timer delay),
 * then split back per request. Requests larger than `maxBatchRides` run on their own.
 * Whether this pays off is measured by bench/online/micro-batch.ts (see the README there).
 */
export function createMicroBatchingScorer(
  getModel: () => TScoringModel,
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
    if (batch.length === 1) {
      const only = batch[0]!;
      direct(only.columns).then(only.resolve, only.reject);
      return;
    }
    let model: TScoringModel;
    try {
      model = getModel();
    } catch (error) {
      for (const p of batch) p.reject(error);
      return;
    }
    // Pickup times travel with the rides: a zones model reads them (hour of week).
    const merged = concatRideColumns(batch.map((p) => p.columns));
    model.predict(merged).then(
      (durations) => {
        let start = 0;
        for (const p of batch) {
          const n = p.columns.pu.length;
          p.resolve({ durations: durations.subarray(start, start + n), modelName: model.name, modelVersion: model.version });
          start += n;
        }
      },
      (error: unknown) => {
        for (const p of batch) p.reject(error);
      },
    );
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
