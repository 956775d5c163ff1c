// CLI: `consume` (the standalone consumer) and `produce` (course ride events for demos and load).
import { Command, InvalidArgumentError, Option } from 'commander';

import { readEnv, readProducerEnv } from './env';
import { createLogger } from './logger';
import { generateRideEvents, produceEvents, readRideEventsFromTripFile } from './producer/produce';
import { createKinesisClient } from './runtime-deps';
import { runConsumerService } from './service';

const positiveInt = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer');
  return n;
};
const share = (value: string) => {
  const n = Number(value);
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError('must be between 0 and 1');
  return n;
};

const program = new Command()
  .name('stream-consumer')
  .description('Score course ride events from Kinesis: ride_events -> model -> ride_predictions + prediction history.');

program
  .command('consume')
  .description(
    'Run the standalone consumer: leases shards in Postgres, reads from checkpoints, scores, publishes, records. ' +
      'Configured by env (DATABASE_URL, KINESIS_ENDPOINT_URL, INPUT_STREAM_NAME, PREDICTIONS_STREAM_NAME, TEST_RUN, MODEL_LOCATION, ...: see README).',
  )
  .action(async () => {
    const env = readEnv();
    await runConsumerService(env, createLogger(env.LOG_LEVEL));
  });

program
  .command('produce')
  .description('Put course-format ride events ({"ride": {...}, "ride_id": n}) on the input stream at a given rate.')
  .addOption(new Option('--rate <events/s>', 'events per second').argParser(positiveInt).default(100))
  .addOption(new Option('--count <n>', 'how many events').argParser(positiveInt).default(1_000))
  .addOption(new Option('--first-ride-id <n>', 'ride_id of the first event').argParser(positiveInt).default(1))
  .addOption(new Option('--seed <n>', 'random seed of generated rides').argParser(positiveInt).default(42))
  .addOption(new Option('--poison-share <0..1>', 'share of deliberately broken events (to see the dead-letter path)').argParser(share).default(0))
  .option('--file <parquet>', 'send rides from a local TLC Parquet month (e.g. ../shared/data/green_tripdata_2021-01.parquet) instead of generated ones')
  .option('--stream <name>', 'input stream (default: INPUT_STREAM_NAME or ride_events)')
  .action(async (options: { rate: number; count: number; firstRideId: number; seed: number; poisonShare: number; stream?: string; file?: string }) => {
    const env = readProducerEnv();
    const log = createLogger(env.LOG_LEVEL);
    const kinesis = createKinesisClient(env);
    const streamName = options.stream ?? env.INPUT_STREAM_NAME;
    // Every n-th event broken on purpose (an out-of-range zone) when --poison-share is set.
    const poisonEvery = options.poisonShare > 0 ? Math.max(1, Math.round(1 / options.poisonShare)) : 0;
    const generated = function* () {
      let i = 0;
      for (const event of generateRideEvents({ count: options.count, firstRideId: options.firstRideId, seed: options.seed })) {
        const isPoison = poisonEvery > 0 && i++ % poisonEvery === poisonEvery - 1;
        yield isPoison ? JSON.stringify({ ride: { ...event.ride, PULocationID: 999 }, ride_id: event.ride_id }) : event;
      }
    };
    const events = options.file
      ? readRideEventsFromTripFile({ file: options.file, count: options.count, firstRideId: options.firstRideId })
      : generated();
    log.info({ streamName, count: options.count, rate: options.rate, source: options.file ?? 'generated' }, 'producing ride events');
    let lastLog = 0;
    const stats = await produceEvents({
      kinesis,
      streamName,
      events,
      ratePerSecond: options.rate,
      onProgress: (progress) => {
        if (progress.seconds - lastLog >= 1) {
          lastLog = progress.seconds;
          log.info(progress, 'progress');
        }
      },
    });
    kinesis.destroy();
    log.info({ ...stats, eventsPerSecond: Math.round(stats.sent / stats.seconds) }, 'done');
  });

await program.parseAsync();
