import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { hourOfWeekOf, ridesToColumns, TIME_FEATURES, type TRideColumns } from './features';
import { newYorkWallClockMs, pickupMsOf, ZPredictRequest, ZRideEvent } from './ride';
import { createLoadedModel, type TLoadedModel } from './runtime';
import { trainModel } from './training/train';
import { sqlString, withDuckDb } from './trips/duckdb';
import { generateTripMonth } from './trips/generate';
import { readTripMonth } from './trips/read';

// One feature function serves every mode, so a ride gives the same minutes in batch
// (a TLC Parquet file: naive New York times), online (ZPredictRequest + ridesToColumns with the
// request's arrival) and stream (ZRideEvent + ridesToColumns with each record's arrival), with and
// without pickup_datetime. The model is a real time-aware `zones` model run by onnxruntime.

const N = 1000;
let dir: string;
let model: TLoadedModel;

/** Deterministic rides over 2021, across both DST switches, as instants (epoch ms). */
const rides = Array.from({ length: N }, (_, i) => {
  const instant = Date.UTC(2021, 0, 1) + ((i * 7_919_993_311) % (365 * 86_400_000));
  return {
    PULocationID: 1 + ((i * 37) % 265),
    DOLocationID: 1 + ((i * 101) % 265),
    trip_distance: Math.round(((i * 13) % 400) * 0.05 * 100) / 100,
    instant,
  };
});
const pad = (n: number, w = 2) => String(n).padStart(w, '0');
/** Naive New York local time text, as the TLC writes it. */
function newYorkText(instant: number): string {
  const d = new Date(newYorkWallClockMs(instant));
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tripcast-parity-'));
  const month = await generateTripMonth({
    taxiType: 'green',
    year: 2021,
    month: 1,
    rows: 20_000,
    seed: 3,
    outPath: dir,
  });
  const { onnx, card } = await trainModel({ recipe: 'zones', trainFiles: [month.path] });
  expect(card.inputs.some((i) => TIME_FEATURES.includes(i.feature))).toBe(true);
  model = await createLoadedModel(onnx, card);
}, 120_000);
afterAll(async () => {
  await model?.close();
  await rm(dir, { recursive: true, force: true });
});

async function batchMinutes(): Promise<Float32Array> {
  const csv = path.join(dir, 'rides.csv');
  const file = path.join(dir, 'green_tripdata_2021-06.parquet');
  await writeFile(
    csv,
    `pickup,PULocationID,DOLocationID,trip_distance\n${rides
      .map(
        (r) =>
          `${newYorkText(r.instant).replace('T', ' ')},${r.PULocationID},${r.DOLocationID},${r.trip_distance}`,
      )
      .join('\n')}\n`,
  );
  await withDuckDb(async (c) => {
    await c.run(`COPY (SELECT CAST(pickup AS TIMESTAMP) AS lpep_pickup_datetime,
        CAST(pickup AS TIMESTAMP) + INTERVAL 10 MINUTE AS lpep_dropoff_datetime,
        CAST(PULocationID AS BIGINT) AS PULocationID, CAST(DOLocationID AS BIGINT) AS DOLocationID,
        CAST(trip_distance AS DOUBLE) AS trip_distance
      FROM read_csv(${sqlString(csv)}, header = true, types = {'pickup': 'VARCHAR'})) TO ${sqlString(file)} (FORMAT PARQUET)`);
  });
  const out = new Float32Array(N);
  for await (const chunk of readTripMonth(file, { chunkSize: 300 }))
    out.set(await model.predict(chunk), chunk.rowOffset);
  return out;
}

const online = (withTime: boolean) => {
  // One request per ride, arriving at its pickup instant when it carries no pickup_datetime.
  const out = new Float32Array(N);
  return Promise.all(
    rides.map(async (r, i) => {
      const body = {
        PULocationID: r.PULocationID,
        DOLocationID: r.DOLocationID,
        trip_distance: r.trip_distance,
        ...(withTime ? { pickup_datetime: newYorkText(r.instant) } : {}),
      };
      const parsed = ZPredictRequest.parse(JSON.parse(JSON.stringify(body)));
      const columns = ridesToColumns(parsed.rides, {
        receivedAtMs: withTime ? Date.UTC(2030, 0, 1) : r.instant,
      });
      out[i] = (await model.predict(columns))[0]!;
    }),
  ).then(() => out);
};

const stream = (withTime: boolean) => {
  // One batch of records, each with its own ApproximateArrivalTimestamp.
  const events = rides.map((r, i) =>
    ZRideEvent.parse(
      JSON.parse(
        new TextDecoder().decode(
          new TextEncoder().encode(
            JSON.stringify({
              ride: {
                PULocationID: r.PULocationID,
                DOLocationID: r.DOLocationID,
                trip_distance: r.trip_distance,
                // An offset form of the same instant: the stream may carry UTC times.
                ...(withTime ? { pickup_datetime: new Date(r.instant).toISOString() } : {}),
              },
              ride_id: i,
            }),
          ),
        ),
      ),
    ),
  );
  const columns: TRideColumns = ridesToColumns(
    events.map((e) => e.ride),
    { receivedAtMs: rides.map((r) => (withTime ? Date.UTC(2030, 0, 1) : r.instant)) },
  );
  return model.predict(columns);
};

describe('the same minutes in batch, online and stream for 1,000 rides', () => {
  it('with and without pickup_datetime', async () => {
    const batch = await batchMinutes();
    const results = {
      onlineWithTime: await online(true),
      onlineWithoutTime: await online(false),
      streamWithTime: await stream(true),
      streamWithoutTime: await stream(false),
    };
    for (const [mode, minutes] of Object.entries(results))
      expect(Array.from(minutes), mode).toEqual(Array.from(batch));
    // The time matters: scoring the same rides at one fixed arrival differs somewhere.
    const fixed = await model.predict(
      ridesToColumns(rides, { receivedAtMs: Date.UTC(2021, 5, 1, 12) }),
    );
    expect(Array.from(fixed)).not.toEqual(Array.from(batch));
  }, 120_000);

  it('reads pickup_datetime as New York time unless it carries an offset', () => {
    // 2021-03-14 02:30 does not exist in New York; 07:30Z on that day is 03:30 EDT.
    expect(hourOfWeekOf(pickupMsOf('2021-03-14T07:30:00Z'))).toBe(6 * 24 + 3);
    expect(hourOfWeekOf(pickupMsOf('2021-01-04T08:15:00'))).toBe(8); // a Monday, naive = NY
    expect(hourOfWeekOf(pickupMsOf('2021-01-04 13:15:00-05:00'))).toBe(13);
    expect(pickupMsOf('2021-02-30T08:00:00')).toBeNaN();
    expect(
      ZPredictRequest.safeParse({
        PULocationID: 1,
        DOLocationID: 2,
        trip_distance: 1,
        pickup_datetime: 'yesterday',
      }).success,
    ).toBe(false);
    // The course body, unchanged, still parses.
    expect(
      ZPredictRequest.safeParse({ PULocationID: 10, DOLocationID: 50, trip_distance: 40 }).success,
    ).toBe(true);
  });
});
