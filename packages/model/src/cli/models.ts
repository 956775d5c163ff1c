import { parseArgs } from 'node:util';

import { z } from 'zod';

import { getCliEnv } from '../env';
import { ZModelName, ZModelVersion, type TModelCard } from '../model-card';
import { s3OptionsFromEnv } from '../object-store';
import { resolveUserPath } from '../user-path';
import { compareVersions, formatComparison } from '../compare-versions';
import { parseCliOption } from './options';

const HELP = `Manage registered model versions.

Usage: npm run models -w @tripcast/model -- <command> [options]

Commands:
  list [--name <name>]                 versions, newest first, with stage and validation RMSE
  promote --version <v> [--name <n>] [--previous archived|challenger]
                                       make <v> the production version; the previous one is
                                       archived (default) or kept scoring as a challenger
  rollback [--name <n>]                put back the previous production version
  challenger add --version <v> [--name <n>]
                                       let <v> score beside production in batch, online and
                                       stream (at most 3 challengers per name)
  challenger remove --version <v> [--name <n>]
                                       stop challenger <v> (it becomes archived)
  challenger list [--name <n>]         production and the challengers every mode serves
  compare --month <file> [--version <v> ...] [--name <n>] [--json]
                                       score versions on the same month (Parquet or CSV, local,
                                       s3:// or https://; 1..60 min trips, as training validates)
                                       and print RMSE / MAE / bias overall and by distance band,
                                       and how far each pair of versions is apart. Default
                                       versions: production, the challengers and the newest
                                       candidate. --json prints the whole comparison

Stage changes reach the running apps within their watcher interval (2 s), no restart.

--name defaults to $MODEL_NAME. Actions are recorded with $TRIPCAST_ACTOR (default cli:$USER, else cli:<OS account>).
Needs DATABASE_URL.
`;

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      version: { type: 'string', multiple: true },
      previous: { type: 'string' },
      month: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, subcommand] = positionals;
  if (values.help || !command) {
    process.stdout.write(HELP);
    return;
  }
  const env = getCliEnv();
  const nameOption = parseCliOption(ZModelName, '--name', values.name);
  const versions = (values.version ?? []).map((v) =>
    parseCliOption(ZModelVersion, '--version', v)!,
  );
  if (versions.length > 1 && command !== 'compare')
    throw new Error('give one --version (only compare takes several)');
  const version = versions[0];
  const previousStage = parseCliOption(
    z.enum(['archived', 'challenger']),
    '--previous',
    values.previous,
  );
  // Prisma, onnxruntime and DuckDB load after argument parsing: --help is instant.
  const [
    { createDbClient },
    {
      addChallenger,
      listModelVersions,
      promoteModel,
      removeChallenger,
      resolveServingModels,
      rollbackModel,
    },
  ] = await Promise.all([import('@tripcast/db/client'), import('../store')]);
  if (!env.DATABASE_URL) throw new Error('DATABASE_URL is required');
  const name = nameOption ?? env.MODEL_NAME;
  const db = createDbClient(env.DATABASE_URL, { max: 2, applicationName: 'tripcast-models' });
  try {
    if (command === 'list') {
      const rows = await listModelVersions(db, nameOption);
      if (rows.length === 0)
        console.log(
          'no model versions registered (npm run bootstrap -w @tripcast/model creates one)',
        );
      for (const row of rows) {
        const rmse = (row.card as TModelCard).metrics?.validation?.rmse;
        console.log(
          [
            row.name,
            row.version,
            row.stage.padEnd(10),
            rmse === undefined ? 'val RMSE -' : `val RMSE ${rmse.toFixed(4)}`,
            `by ${row.createdBy ?? '?'}`,
            row.createdAt.toISOString(),
          ].join('  '),
        );
      }
    } else if (command === 'promote') {
      if (!version) throw new Error('promote needs --version');
      const row = await promoteModel(db, { name, version, actor: env.actor, previousStage });
      console.log(
        `${row.name}@${row.version} is now in production` +
          (previousStage === 'challenger'
            ? ' (the previous version stays on as a challenger)'
            : ''),
      );
    } else if (command === 'rollback') {
      const row = await rollbackModel(db, { name, actor: env.actor });
      console.log(`rolled back: ${row.name}@${row.version} is now in production`);
    } else if (command === 'challenger') {
      if (subcommand === 'list') {
        const serving = await resolveServingModels(db, name);
        console.log(`${name}  production  ${serving.production?.version ?? '(none)'}`);
        for (const row of serving.challengers) console.log(`${name}  challenger  ${row.version}`);
        if (serving.challengers.length === 0) console.log(`${name}  no challengers`);
      } else if (subcommand === 'add' || subcommand === 'remove') {
        if (!version) throw new Error(`challenger ${subcommand} needs --version`);
        const row = await (subcommand === 'add' ? addChallenger : removeChallenger)(db, {
          name,
          version,
          actor: env.actor,
        });
        console.log(`${row.name}@${row.version} is now ${row.stage}`);
      } else throw new Error(`challenger needs add, remove or list (see --help)`);
    } else if (command === 'compare') {
      if (!values.month) throw new Error('compare needs --month <file>');
      const comparison = await compareVersions(db, {
        name,
        versions,
        month: resolveUserPath(values.month, env.userDir),
        s3: s3OptionsFromEnv(env),
        log: values.json ? () => undefined : (line) => console.error(line),
      });
      console.log(
        values.json ? JSON.stringify(comparison, null, 2) : formatComparison(comparison).join('\n'),
      );
    } else throw new Error(`unknown command "${command}" (see --help)`);
  } finally {
    await db.$disconnect();
  }
}

main().catch((error: unknown) => {
  console.error(`models: ${(error as Error).message}`);
  process.exit(1);
});
