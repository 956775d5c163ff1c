import type { TRideColumns, TScoringModel } from '@tripcast/model/features';

export type TScoredRides = { durations: Float32Array; modelName: string; modelVersion: string };

/** Scores rides with ONE model, so every duration in a response comes from the version it reports. */
export type TRideScorer = (columns: TRideColumns) => Promise<TScoredRides>;

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
    const total = pendingRides;
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
    const merged = { pu: new Int32Array(total), do: new Int32Array(total), distance: new Float32Array(total) } satisfies TRideColumns;
    let offset = 0;
    for (const p of batch) {
      merged.pu.set(p.columns.pu, offset);
      merged.do.set(p.columns.do, offset);
      merged.distance.set(p.columns.distance, offset);
      offset += p.columns.pu.length;
    }
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
