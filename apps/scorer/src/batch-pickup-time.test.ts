// A batch run gives each trip the minutes the model gives it with the trip's own pickup time (the
// file's naive New York time, as online and stream pass it): a time-aware default (zones) model,
// real onnxruntime, the real scorer CLI.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { TIME_FEATURES } from '@tripcast/model/features';
import { createLoadedModel } from '@tripcast/model/runtime';
import { trainModel } from '@tripcast/model/training';
import { generateTripMonth, readTripMonth } from '@tripcast/model/trips';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { cliEnv, queryDuckDb, runCli, sqlString } from './testing/cli-harness';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tripcast-batch-pickup-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('batch predictions use the pickup time', () => {
  it("scores each trip with its own pickup time, as the model's predict does", async () => {
    const train = await generateTripMonth({
      taxiType: 'green',
      year: 2021,
      month: 1,
      rows: 20_000,
      seed: 5,
      outPath: path.join(dir, 'train'),
    });
    const { onnx, card } = await trainModel({ recipe: 'zones', trainFiles: [train.path] });
    expect(card.inputs.some((input) => TIME_FEATURES.includes(input.feature))).toBe(true);
    const modelDir = path.join(dir, 'model');
    await mkdir(modelDir, { recursive: true });
    await writeFile(path.join(modelDir, 'model.onnx'), onnx);
    await writeFile(path.join(modelDir, 'card.json'), JSON.stringify(card));

    const month = await generateTripMonth({
      taxiType: 'green',
      year: 2021,
      month: 2,
      rows: 3_000,
      seed: 6,
      outPath: path.join(dir, 'score'),
    });
    const output = path.join(dir, 'out', 'scored.parquet');
    const run = await runCli(
      [
        'run',
        '--year',
        '2021',
        '--month',
        '2',
        '--no-db',
        '--input',
        month.path,
        '--output',
        output,
        '--model-location',
        modelDir,
        '--json',
      ],
      cliEnv({ OBJECT_STORE_URI: path.join(dir, 'store'), TRIPCAST_HOME: dir }),
    );
    expect(run.code, run.stderr).toBe(0);
    const scored = await queryDuckDb(
      `SELECT ride_id, predicted_duration FROM read_parquet(${sqlString(output)})`,
    );
    const byRide = new Map(
      scored.map((row) => [row.ride_id as string, row.predicted_duration as number]),
    );

    const model = await createLoadedModel(onnx, card);
    try {
      let compared = 0;
      let timeMatters = 0;
      for await (const chunk of readTripMonth(month.path)) {
        const withTime = await model.predict(chunk);
        const withoutTime = await model.predict({
          pu: chunk.pu,
          do: chunk.do,
          distance: chunk.distance,
        });
        for (let i = 0; i < chunk.length; i++) {
          const minutes = byRide.get(`2021/02_${chunk.rowOffset + i}`);
          if (minutes === undefined) continue; // rejected or outside 1..60 min
          expect(minutes, `row ${chunk.rowOffset + i}`).toBeCloseTo(withTime[i]!, 3);
          if (Math.abs(withTime[i]! - withoutTime[i]!) > 0.01) timeMatters++;
          compared++;
        }
      }
      expect(compared).toBe(scored.length);
      // The model does use the time: without it most answers would differ.
      expect(timeMatters).toBeGreaterThan(compared / 2);
    } finally {
      await model.close();
    }
  }, 120_000);
});
