import type { TScoringModel } from '../features';
import {
  createProfileAccumulator,
  decodeSeenPairs,
  type TPopulationProfile,
  type TReferenceProfile,
} from '../monitoring/profile';
import { readTripMonth, type TTripChunk } from '../trips/read';
import { durationMinutes, isCourseDuration } from '../trips/validate';

/** What `card.profile` counts (its `basis`). */
export const REFERENCE_PROFILE_BASIS =
  'training month(s): rows kept by the training filter, predicted by the exported model';

/** A row training learns from: course duration and encodable (zone 1..265, a distance). */
export function isTrainingRow(chunk: TTripChunk, i: number): boolean {
  const pu = chunk.pu[i]!;
  const dropoff = chunk.do[i]!;
  return (
    pu >= 1 &&
    pu <= 265 &&
    dropoff >= 1 &&
    dropoff <= 265 &&
    !Number.isNaN(chunk.distance[i]!) &&
    isCourseDuration(durationMinutes(chunk.pickupMs[i]!, chunk.dropoffMs[i]!))
  );
}

/**
 * The reference profile of a model (monitoring/profile.ts): its training rows' inputs and the
 * model's own predictions for them. Training calls it with the model it just exported (so the
 * card's profile is a deterministic function of the data and the graph); a version trained before
 * profiles existed gets the same from its training month on first use (monitoring/reference.ts).
 */
export async function profileTrainingMonths(options: {
  files: string[];
  model: Pick<TScoringModel, 'predict'>;
}): Promise<TReferenceProfile> {
  const profile = createProfileAccumulator();
  await countTripMonths(options.files, options.model, profile);
  return profile.reference(REFERENCE_PROFILE_BASIS);
}

/**
 * The same counts over other months (the rows training would keep), against a reference: what a
 * batch run of those months would measure. Tests and offline analysis use it.
 */
export async function profileTripMonths(options: {
  files: string[];
  model: Pick<TScoringModel, 'predict'>;
  against: Pick<TReferenceProfile, 'seenPairs'>;
}): Promise<TPopulationProfile> {
  const profile = createProfileAccumulator({ seenPairs: decodeSeenPairs(options.against) });
  await countTripMonths(options.files, options.model, profile);
  return profile.result();
}

async function countTripMonths(
  files: string[],
  model: Pick<TScoringModel, 'predict'>,
  profile: ReturnType<typeof createProfileAccumulator>,
): Promise<void> {
  for (const file of files) {
    for await (const chunk of readTripMonth(file)) {
      let n = 0;
      for (let i = 0; i < chunk.length; i++) if (isTrainingRow(chunk, i)) n++;
      if (n === 0) continue;
      const rows = {
        pu: new Int32Array(n),
        do: new Int32Array(n),
        distance: new Float64Array(n),
        pickupMs: new Float64Array(n),
      };
      for (let i = 0, j = 0; i < chunk.length; i++) {
        if (!isTrainingRow(chunk, i)) continue;
        rows.pu[j] = chunk.pu[i]!;
        rows.do[j] = chunk.do[i]!;
        rows.distance[j] = chunk.distance[i]!;
        rows.pickupMs[j] = chunk.pickupMs[i]!;
        j++;
      }
      profile.add({ ...rows, predicted: await model.predict(rows) });
    }
  }
}
