import { parseArgs } from 'node:util';

import { DEFAULT_DIRTY_RATES } from '../trips/dirty-rates';
import { resolveUserPath } from '../user-path';
import { getCliEnv } from '../env';

const HELP = `Write a synthetic TLC trip month (Parquet) with DuckDB.

Usage: npm run generate -w @tripcast/model -- [options]

Options:
  --taxi-type <yellow|green>   taxi type (default green)
  --year <YYYY>                year (default 2021)
  --month <M>                  month 1..12 (default 1)
  --rows <N>                   number of trips (default 100000)
  --seed <N>                   seed; the same seed writes the same file (default 1)
  --out <path>                 .parquet file, or a folder for {taxi}_tripdata_{YYYY}-{MM}.parquet (default .)
  --null-zone <rate>           share of rows with a null PU/DO zone (default ${DEFAULT_DIRTY_RATES.nullZone})
  --non-positive-distance <r>  share with trip_distance <= 0 (default ${DEFAULT_DIRTY_RATES.nonPositiveDistance})
  --multi-day <rate>           share with a dropoff days after pickup (default ${DEFAULT_DIRTY_RATES.multiDayDuration})
  --outside-month <rate>       share with a pickup outside the month (default ${DEFAULT_DIRTY_RATES.pickupOutsideMonth})
  -h, --help                   show this help
`;

function rate(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!(n >= 0 && n <= 1)) throw new Error(`--${name} must be a rate between 0 and 1`);
  return n;
}

function integer(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new Error(`--${name} must be an integer, got "${value}"`);
  return n;
}

async function main() {
  const { values } = parseArgs({
    options: {
      'taxi-type': { type: 'string', default: 'green' },
      year: { type: 'string', default: '2021' },
      month: { type: 'string', default: '1' },
      rows: { type: 'string', default: '100000' },
      seed: { type: 'string', default: '1' },
      out: { type: 'string', default: '.' },
      'null-zone': { type: 'string' },
      'non-positive-distance': { type: 'string' },
      'multi-day': { type: 'string' },
      'outside-month': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const taxiType = values['taxi-type'];
  if (taxiType !== 'yellow' && taxiType !== 'green')
    throw new Error('--taxi-type must be yellow or green');
  // Loaded after argument parsing so --help and argument errors answer at once.
  const { generateTripMonth } = await import('../trips/generate');
  const started = performance.now();
  const result = await generateTripMonth({
    taxiType,
    year: integer(values.year, 'year'),
    month: integer(values.month, 'month'),
    rows: integer(values.rows, 'rows'),
    seed: integer(values.seed, 'seed'),
    // Relative to the folder the user ran npm from, not packages/model (see resolveUserPath).
    outPath: resolveUserPath(values.out, getCliEnv().userDir),
    dirtyRates: {
      nullZone: rate(values['null-zone'], 'null-zone'),
      nonPositiveDistance: rate(values['non-positive-distance'], 'non-positive-distance'),
      multiDayDuration: rate(values['multi-day'], 'multi-day'),
      pickupOutsideMonth: rate(values['outside-month'], 'outside-month'),
    },
  });
  console.log(
    `wrote ${result.rows.toLocaleString('en-US')} trips to ${result.path} in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}

main().catch((error: unknown) => {
  console.error(`generate: ${(error as Error).message}`);
  process.exit(1);
});
