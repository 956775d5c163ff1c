/**
 * Does micro-batching small concurrent requests help? Runs the REST layer twice, with the direct
 * scorer (one onnxruntime run per request) and with the micro-batching scorer, under the same
 * load (autocannon, 32 connections, one ride per request) and prints both.
 * History is buffered but not written here (a counting inserter): this isolates the scoring path.
 *
 *   npx tsx bench/online/micro-batch.ts [--duration 8]
 */
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createHistoryWriter } from '@tripcast/console/rest/history-writer';
import { createConsoleHttpServer } from '@tripcast/console/rest/http-server';
import { createApiKeyGuard } from '@tripcast/console/rest/api-key-guard';
import { createRestApi } from '@tripcast/console/rest/rest-api';
import { createDirectScorer, createMicroBatchingScorer } from '@tripcast/console/rest/ride-scorer';
import type { TDb } from '@tripcast/db/client';
import { loadFixtureModel } from './fixture-model';
import { getFreePort, runAutocannon, waitForHttp } from './load';

const COURSE_BODY = JSON.stringify({ PULocationID: 10, DOLocationID: 50, trip_distance: 40 });

async function serve(mode: 'direct' | 'micro', port: number): Promise<void> {
  const model = await loadFixtureModel();
  const history = createHistoryWriter({ insertBatch: (rows) => Promise.resolve({ inserted: rows.length, refused: 0 }) });
  const score = mode === 'micro' ? createMicroBatchingScorer(() => model) : createDirectScorer(() => model);
  const api = createRestApi({
    score,
    history,
    // This bench compares two scorers with no database: keys are off (run.ts measures with a key).
    guard: createApiKeyGuard({
      findKey: () => Promise.resolve(null),
      recordUsed: () => Promise.resolve(),
      allowAnonymous: true,
      rateLimit: { perSecond: 1e9, burst: 1e9 },
    }),
    // No database here: the read API's routes are not part of this bench, so any use of it fails loudly.
    read: {
      db: new Proxy({}, { get: () => { throw new Error('the micro-batch bench has no database'); } }) as TDb,
      openObject: () => Promise.reject(new Error('the micro-batch bench has no object store')),
    },
    modelName: model.name,
    health: {
      pingDatabase: () => Promise.resolve(),
      getModelStatus: () => ({ name: model.name, version: model.version, loaded: true }),
    },
  });
  createConsoleHttpServer({ api }).listen(port, '127.0.0.1');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      serve: { type: 'string' },
      port: { type: 'string' },
      duration: { type: 'string', default: '8' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log('Usage: npx tsx bench/online/micro-batch.ts [--duration SECONDS]\nCompares direct vs micro-batched scoring.');
    return;
  }
  if (values.serve) {
    await serve(values.serve as 'direct' | 'micro', Number(values.port));
    return;
  }
  const rows: string[] = [];
  for (const mode of ['direct', 'micro', 'direct', 'micro'] as const) {
    const port = await getFreePort();
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--serve', mode, '--port', String(port)], {
      stdio: 'inherit',
      env: { ...process.env, NODE_ENV: 'production' },
    });
    try {
      const url = `http://127.0.0.1:${port}/api/v1/predict`;
      await waitForHttp(url, { body: COURSE_BODY });
      await runAutocannon({ url, body: COURSE_BODY, connections: 32, durationSec: 2 }); // warm-up
      const r = await runAutocannon({ url, body: COURSE_BODY, connections: 32, durationSec: Number(values.duration) });
      rows.push(
        `${mode.padEnd(8)} ${r.requestsPerSec.toFixed(0).padStart(8)} req/s  p50 ${r.p50Ms.toFixed(2)} ms  p99 ${r.p99Ms.toFixed(2)} ms  errors ${r.errors + r.non2xx}`,
      );
    } finally {
      child.kill('SIGTERM');
    }
  }
  console.log(
    `\nscoring path, one ride per request, 32 connections (autocannon), load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}:\n` +
      rows.join('\n'),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
