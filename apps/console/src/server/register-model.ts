// Registering an uploaded model: it must load in onnxruntime and score a few known rides to
// finite, plausible minutes before the store accepts it, so a broken upload never reaches
// the promote button.
import { ZModelCard, type TModelCard } from '@tripcast/model';
import { ridesToColumns } from '@tripcast/model/features';
import { createLoadedModel, sha256Hex } from '@tripcast/model/runtime';

/** Rides every sane trip-duration model can score: short hop, cross-borough, airport run. */
const PROBE_RIDES = [
  { PULocationID: 74, DOLocationID: 75, trip_distance: 1.2 },
  { PULocationID: 43, DOLocationID: 151, trip_distance: 2.5 },
  { PULocationID: 132, DOLocationID: 230, trip_distance: 17.8 },
];

export class ModelUploadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelUploadError';
  }
}

export type TCheckedUpload = { card: TModelCard; onnx: Uint8Array; probe: number[] };

/** Parses the card, checks the ONNX against it, loads it and test-scores it. */
export async function checkModelUpload(opts: {
  onnx: Uint8Array;
  cardJson: string;
}): Promise<TCheckedUpload> {
  let raw: unknown;
  try {
    raw = JSON.parse(opts.cardJson);
  } catch {
    throw new ModelUploadError('card.json is not valid JSON');
  }
  const parsed = ZModelCard.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ModelUploadError(
      `card.json: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  const card = parsed.data;
  const sha = sha256Hex(opts.onnx);
  if (sha !== card.sha256)
    throw new ModelUploadError(
      `model.onnx sha256 ${sha.slice(0, 12)}… does not match the card's ${card.sha256.slice(0, 12)}…`,
    );
  let model;
  try {
    model = await createLoadedModel(opts.onnx, card);
  } catch (error) {
    throw new ModelUploadError(
      `model.onnx does not load: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  try {
    const out = await model.predict(ridesToColumns(PROBE_RIDES));
    const probe = Array.from(out);
    if (
      probe.length !== PROBE_RIDES.length ||
      probe.some((m) => !Number.isFinite(m) || m < -60 || m > 24 * 60)
    ) {
      throw new ModelUploadError(
        `test scoring gave implausible minutes: ${probe.map((m) => m.toFixed(1)).join(', ')}`,
      );
    }
    return { card, onnx: opts.onnx, probe };
  } catch (error) {
    if (error instanceof ModelUploadError) throw error;
    throw new ModelUploadError(
      `test scoring failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  } finally {
    await model.close();
  }
}
