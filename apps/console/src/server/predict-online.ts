// Live prediction from the console: scores in-process with the shared model session and records
// the prediction in history (source online) so it shows in History and the overview.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { TRide } from '@tripcast/model';
import { ridesToColumns } from '@tripcast/model/features';
import type { TLoadedModel } from '@tripcast/model/runtime';
import type { TDb } from './db';

export type TOnlinePrediction = {
  durationMinutes: number;
  modelName: string;
  modelVersion: string;
  latencyMs: number;
  rideId: string;
};

export async function predictOnlineRide(opts: {
  db: TDb;
  model: TLoadedModel;
  ride: TRide;
}): Promise<TOnlinePrediction> {
  const started = performance.now();
  const [duration] = await opts.model.predict(ridesToColumns([opts.ride], { receivedAtMs: Date.now() }));
  const latencyMs = performance.now() - started;
  if (duration === undefined || !Number.isFinite(duration))
    throw new Error('the model returned no prediction');
  const rideId = `console-${randomUUID()}`;
  await opts.db.predictionHistory.create({
    data: {
      source: 'online',
      status: 'scored',
      idempotencyKey: rideId,
      rideId,
      puLocationId: opts.ride.PULocationID,
      doLocationId: opts.ride.DOLocationID,
      tripDistance: opts.ride.trip_distance,
      predictedDuration: duration,
      modelName: opts.model.name,
      modelVersion: opts.model.version,
      latencyMs,
    },
    select: { id: true },
  });
  return {
    durationMinutes: duration,
    modelName: opts.model.name,
    modelVersion: opts.model.version,
    latencyMs,
    rideId,
  };
}

export const RECENT_ONLINE_SELECT = {
  id: true,
  rideId: true,
  puLocationId: true,
  doLocationId: true,
  tripDistance: true,
  predictedDuration: true,
  modelVersion: true,
  latencyMs: true,
  status: true,
  reason: true,
  createdAt: true,
} as const;

export async function listRecentOnlinePredictions(db: TDb, limit: number) {
  const rows = await db.predictionHistory.findMany({
    where: { source: 'online' },
    select: RECENT_ONLINE_SELECT,
    orderBy: { createdAt: 'desc' },
    take: limit,
  });
  // BigInt ids do not survive JSON; the UI only needs them as React keys.
  return rows.map((r) => ({ ...r, id: r.id.toString() }));
}
