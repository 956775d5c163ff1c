// Real ONNX models for the e2e: the course's linear form (pair table + distance coefficient) with
// known coefficients, so the minutes a page shows can be checked exactly. Trained models are the
// model package's concern; here we need versions that differ predictably.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ZModelCard, type TModelCard } from '@tripcast/model';
import { buildLinearPairModel, linearPairCardIo, PAIR_TABLE_SIZE } from '@tripcast/model/onnx';

export type TE2eModel = {
  onnx: Uint8Array;
  card: TModelCard;
  minutesFor(distance: number): number;
};

export function buildE2eModel(opts: {
  name: string;
  version: string;
  intercept: number;
  perMile: number;
}): TE2eModel {
  const onnx = buildLinearPairModel({
    pairCoefficients: new Float64Array(PAIR_TABLE_SIZE),
    distanceCoefficient: opts.perMile,
    intercept: opts.intercept,
  });
  const card = ZModelCard.parse({
    schemaVersion: 1,
    name: opts.name,
    version: opts.version,
    createdAt: new Date().toISOString(),
    description: `e2e model: ${opts.intercept} min + ${opts.perMile} min/mile`,
    sha256: createHash('sha256').update(onnx).digest('hex'),
    ...linearPairCardIo(),
    metrics: { validation: { rmse: 7 + opts.intercept / 10, mae: 5, rows: 1000 } },
  });
  return { onnx, card, minutesFor: (d) => opts.intercept + opts.perMile * d };
}

/** Writes model.onnx and card.json to a folder, as a user would have them before an upload. */
export async function writeModelFiles(model: TE2eModel, dir: string) {
  await fs.mkdir(dir, { recursive: true });
  const onnxPath = path.join(dir, 'model.onnx');
  const cardPath = path.join(dir, 'card.json');
  await fs.writeFile(onnxPath, model.onnx);
  await fs.writeFile(cardPath, JSON.stringify(model.card, null, 2));
  return { onnxPath, cardPath };
}
