// Registered versions scored on one month, side by side: what `models compare` prints and the
// console's Models page shows. The comparison itself is compareModelsOnMonth (training/compare.ts);
// this picks and loads the versions from the registry and makes the month readable.
import type { TDb } from '@tripcast/db/client';
import type { TObjectStoreOptions } from './object-store';
import type { TModelComparison } from './training/compare';

/** A version asked for by name that the registry does not have. */
export class UnknownModelVersionError extends Error {
  constructor(name: string, version: string) {
    super(`no version ${version} of ${name} is registered`);
    this.name = 'UnknownModelVersionError';
  }
}

/** Production, the challengers and the newest candidate: what an analyst weighs before promoting. */
async function defaultVersions(db: TDb, name: string): Promise<string[]> {
  const { listModelVersions, resolveServingModels } = await import('./store');
  const serving = await resolveServingModels(db, name);
  const newestCandidate = (await listModelVersions(db, name)).find(
    (row) => row.stage === 'candidate',
  );
  return [serving.production, ...serving.challengers, newestCandidate]
    .filter((row) => row != null)
    .map((row) => row.version);
}

export async function compareVersions(
  db: TDb,
  options: {
    name: string;
    versions: string[];
    month: string;
    s3: TObjectStoreOptions['s3'];
    log: (line: string) => void;
  },
): Promise<TModelComparison> {
  const [
    { getModelVersion },
    { loadRegisteredModel },
    { compareModelsOnMonth },
    { localizeTripFile },
  ] = await Promise.all([
    import('@tripcast/db/queries/models'),
    import('./store'),
    import('./training/compare'),
    import('./trips/source'),
  ]);
  const versions =
    options.versions.length > 0 ? options.versions : await defaultVersions(db, options.name);
  if (versions.length === 0)
    throw new Error(`no versions of ${options.name} to compare (give --version)`);
  const rows = await Promise.all(
    versions.map(async (version) => {
      const row = await getModelVersion(db, { name: options.name, version });
      if (!row) throw new UnknownModelVersionError(options.name, version);
      return row;
    }),
  );
  const month = await localizeTripFile(options.month, { s3: options.s3 });
  const models = [];
  try {
    for (const row of rows) {
      options.log(`loading ${row.name}@${row.version} (${row.stage})`);
      models.push({
        label: `${row.version} (${row.stage})`,
        model: await loadRegisteredModel(row, { s3: options.s3 }),
      });
    }
    let lastLog = 0;
    return await compareModelsOnMonth({
      file: month.path,
      models,
      onProgress: (rowsRead) => {
        if (performance.now() - lastLog < 1000) return;
        lastLog = performance.now();
        options.log(`scoring ${month.uri}: ${rowsRead.toLocaleString('en-US')} rows read`);
      },
    });
  } finally {
    await Promise.all(models.map(({ model }) => model.close()));
    await month.cleanup();
  }
}

const minutes = (n: number) => n.toFixed(3);

/** The comparison as the terminal table `models compare` prints. */
export function formatComparison(comparison: TModelComparison): string[] {
  const labels = comparison.versions.map((v) => v.label);
  const width = Math.max(12, ...labels.map((label) => label.length));
  const row = (name: string, cells: string[]) =>
    `${name.padEnd(24)}${cells.map((cell) => cell.padStart(width + 2)).join('')}`;
  const lines = [
    `${comparison.rowsCompared.toLocaleString('en-US')} of ${comparison.rowsRead.toLocaleString('en-US')} rows compared (1..60 min, encodable zones and distance), minutes:`,
    '',
    row('', labels),
    row(
      'RMSE',
      comparison.versions.map((v) => minutes(v.evaluation.rmse)),
    ),
    row(
      'MAE',
      comparison.versions.map((v) => minutes(v.evaluation.mae)),
    ),
    row(
      'bias (predicted - actual)',
      comparison.versions.map((v) => minutes(v.evaluation.bias)),
    ),
    '',
    'RMSE by distance band:',
  ];
  const bands = comparison.versions[0]?.evaluation.byDistance.map((b) => b.band) ?? [];
  for (const band of bands) {
    const cells = comparison.versions.map((v) => {
      const found = v.evaluation.byDistance.find((b) => b.band === band);
      return found ? minutes(found.rmse) : '-';
    });
    const rows = comparison.versions[0]!.evaluation.byDistance.find((b) => b.band === band)!.rows;
    lines.push(row(`  ${band} (${rows.toLocaleString('en-US')})`, cells));
  }
  if (comparison.pairs.length > 0) {
    lines.push('', 'how far apart (|a - b|, same rides):');
    for (const pair of comparison.pairs)
      lines.push(
        `  ${pair.a} vs ${pair.b}: mean ${pair.meanAbsDifference.toFixed(2)} min, p95 ${pair.p95AbsDifference.toFixed(2)} min, ${(pair.shareOver5Minutes * 100).toFixed(1)}% more than 5 min apart`,
      );
  }
  return lines;
}
