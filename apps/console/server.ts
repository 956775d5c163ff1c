/**
 * The console's production entrypoint: ONE node:http server on CONSOLE_PORT.
 * - `/api/v1/*` and `/api/health` are answered by the lean REST layer (src/rest), which never
 *   enters Next: a Next route handler served ~1,040 req/s against ~19,500 for plain node:http
 *   (wrk, 32 connections, the 2-core development machine).
 * - Every other request (pages, tRPC, assets) goes to Next's request handler.
 * The model watcher is shared with tRPC through src/server/model-session.ts (one onnxruntime
 * session per process, promotions picked up without a restart).
 *
 *   NODE_ENV=production tsx server.ts             (after `next build`; `npm run start`)
 *   NODE_ENV=production tsx server.ts --api-only  (REST API only: API-only replicas, the benchmark)
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import next from 'next';
import { createPgPool } from '@tripcast/db/client';
import { findApiKeyByHash, recordApiKeysUsed } from '@tripcast/db/queries/api-keys';
import { openObjectStream } from '@tripcast/model/object-store';
import { getEnv } from './src/env';
import { createApiKeyGuard } from './src/rest/api-key-guard';
import { createModelRouting } from './src/rest/challengers';
import { createHistoryInserter } from './src/rest/history-insert';
import { createHistoryWriter } from './src/rest/history-writer';
import { createConsoleHttpServer } from './src/rest/http-server';
import { HttpError } from './src/rest/http-error';
import { createRestApi } from './src/rest/rest-api';
import { createMicroBatchingScorer, type TSyncScoringModel } from './src/rest/ride-scorer';
import { createStreamDescriber } from './src/rest/stream-status';
import { getConsoleDb } from './src/server/db';
import { getModelWatcher } from './src/server/model-session';
import { getStoreOptions } from './src/server/store-options';

const SHUTDOWN_TIMEOUT_MS = 10_000;

const HELP = `Usage: tsx server.ts [--api-only]

Serves the Tripcast console on CONSOLE_HOST:CONSOLE_PORT (default 127.0.0.1:3000):
  /api/v1/predict, /api/v1/runs..., /api/v1/predictions,
  /api/v1/openapi.json, /api/health                    the REST API (node:http, no Next)
  everything else                                        the Next.js console (pages, tRPC)

Options:
  --api-only   serve only the REST API (no Next; no \`next build\` needed)
  -h, --help   show this help

NODE_ENV=production runs Next from its build (\`npm run build\`); otherwise Next runs in dev mode.
Environment: see src/env.ts (DATABASE_URL is required). /api/v1/predict needs an API key with the
predict scope unless PREDICT_API_ALLOW_ANONYMOUS=true (local use only); the read endpoints always
need a key with the read scope.`;

function log(message: string): void {
  console.log(`[console] ${message}`);
}

/**
 * Hands Next the configuration the build recorded, as its own standalone server.js does: with
 * `output: 'standalone'` a custom server that lets Next load next.config.ts is told that
 * "next start does not work" (it does, but the config could differ from the build's). The image's
 * entry (infra/images/console-entry.mjs) sets the same variable before loading this server.
 */
function useBuiltNextConfig(dir: string): void {
  const file = path.join(dir, '.next', 'required-server-files.json');
  if (!existsSync(file)) return;
  const { config } = JSON.parse(readFileSync(file, 'utf8')) as { config: unknown };
  process.env.__NEXT_PRIVATE_STANDALONE_CONFIG ??= JSON.stringify(config);
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      'api-only': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (args.help) {
    console.log(HELP);
    return;
  }
  const env = getEnv();
  const isDev = env.NODE_ENV !== 'production';
  const dir = path.dirname(fileURLToPath(import.meta.url));

  const pool = createPgPool(env.DATABASE_URL);
  const history = createHistoryWriter({
    insertBatch: createHistoryInserter(pool),
    flushIntervalMs: env.HISTORY_FLUSH_INTERVAL_MS,
    maxBatchRows: env.HISTORY_MAX_BATCH_ROWS,
    maxBufferedRows: env.HISTORY_MAX_BUFFERED_ROWS,
    log: (message) => console.warn(`[console] ${message}`),
  });

  // One watcher per process, shared with tRPC (src/server/model-session.ts). Listen once its first
  // registry check has loaded the production model (refresh() joins that check), so the first
  // requests are not refused. A fresh install with nothing in production still comes up: health
  // says so and predict answers 503 until a version is promoted. Registry errors (database or
  // object store unreachable) are logged by the watcher, which keeps checking.
  const watcher = await getModelWatcher();
  await watcher.refresh();
  const initial = watcher.currentOrNull();
  log(
    initial
      ? `serving ${initial.name} ${initial.version}`
      : `no version of ${env.MODEL_NAME} in production yet; predictions answer 503 until one is promoted`,
  );

  /** The production model, or a 503 the client can act on (retry later) when none is loaded yet. */
  const getModel = (): TSyncScoringModel => {
    const model = watcher.currentOrNull();
    if (model) return model;
    throw new HttpError({
      status: 503,
      code: 'model_unavailable',
      message: `No version of ${env.MODEL_NAME} is in production yet; promote one on the Models page`,
    });
  };

  const isStreamConfigured = Boolean(env.KINESIS_ENDPOINT_URL ?? env.INPUT_STREAM_NAME);
  const stream = isStreamConfigured
    ? createStreamDescriber({
        streamName: env.INPUT_STREAM_NAME ?? 'ride_events',
        region: env.AWS_REGION,
        endpoint: env.KINESIS_ENDPOINT_URL,
      })
    : undefined;

  const guard = createApiKeyGuard({
    findKey: (keyHash) => findApiKeyByHash(pool, keyHash),
    recordUsed: (usedAt) => recordApiKeysUsed(pool, usedAt),
    allowAnonymous: env.PREDICT_API_ALLOW_ANONYMOUS,
    rateLimit: {
      perSecond: env.PREDICT_API_RATE_LIMIT_PER_SECOND,
      burst: env.PREDICT_API_RATE_LIMIT_BURST,
    },
    staleGraceMs: env.PREDICT_API_KEY_STALE_GRACE_MS,
  });
  log(
    env.PREDICT_API_ALLOW_ANONYMOUS
      ? 'PREDICT_API_ALLOW_ANONYMOUS=true: /api/v1/predict answers WITHOUT an API key (local use only; never in production)'
      : `/api/v1/predict requires an API key (Authorization: Bearer <key>), ${env.PREDICT_API_RATE_LIMIT_PER_SECOND} req/s per key (bursts of ${env.PREDICT_API_RATE_LIMIT_BURST})`,
  );

  // Micro-batching measured faster than one onnxruntime run per request under concurrent
  // single-ride load (bench/online/README.md); a lone request still runs at once (setImmediate).
  const score = createMicroBatchingScorer(getModel);
  if (env.PREDICT_CANARY_VERSION && env.PREDICT_CANARY_SHARE > 0)
    log(`canary: ${Math.round(env.PREDICT_CANARY_SHARE * 100)}% of predict requests answered by challenger ${env.PREDICT_CANARY_VERSION} (while it is a loaded challenger)`);
  const api = createRestApi({
    score,
    routing: createModelRouting({
      production: score,
      getProductionVersion: () => watcher.currentOrNull()?.version ?? null,
      getChallengers: () => watcher.challengers(),
      history,
      canary: env.PREDICT_CANARY_VERSION ? { version: env.PREDICT_CANARY_VERSION, share: env.PREDICT_CANARY_SHARE } : null,
    }),
    history,
    guard,
    modelName: env.MODEL_NAME,
    // GET /api/v1/runs..., /api/v1/predictions: the same Prisma client as the pages (one pool).
    read: { db: getConsoleDb(), openObject: (uri) => openObjectStream(uri, getStoreOptions()) },
    health: {
      pingDatabase: async () => void (await pool.query('SELECT 1', [])),
      getModelStatus: () => {
        try {
          const model = getModel();
          return { name: model.name, version: model.version, loaded: true };
        } catch (error) {
          return {
            name: env.MODEL_NAME,
            version: null,
            loaded: false,
            error: error instanceof Error ? error.message : String(error),
          };
        }
      },
      ...(stream ? { describeStream: stream.describe } : {}),
    },
  });

  let fallback: Parameters<typeof createConsoleHttpServer>[0]['fallback'];
  if (!args['api-only']) {
    if (!isDev) useBuiltNextConfig(dir);
    const app = next({ dev: isDev, dir, hostname: env.CONSOLE_HOST, port: env.CONSOLE_PORT });
    const handleNext = app.getRequestHandler();
    await app.prepare();
    fallback = (req, res) => handleNext(req, res);
  }

  const server = createConsoleHttpServer({ api, fallback });
  await new Promise<void>((resolve) => server.listen(env.CONSOLE_PORT, env.CONSOLE_HOST, resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : env.CONSOLE_PORT;
  const mode = args['api-only'] ? 'API only' : isDev ? 'development' : 'production';
  log(`ready on http://${env.CONSOLE_HOST}:${port} (${mode}; API at /api/v1/predict)`);

  let isShuttingDown = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (isShuttingDown) return;
    isShuttingDown = true;
    log(`${signal}: closing (in-flight requests finish, history is flushed)`);
    const forceExit = setTimeout(() => {
      log('shutdown timed out; exiting');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS + 5_000);
    forceExit.unref();
    // Idle keep-alive sockets close now; busy ones finish their request, then are cut at the deadline.
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const cutBusy = setTimeout(() => server.closeAllConnections(), SHUTDOWN_TIMEOUT_MS);
    await closed;
    clearTimeout(cutBusy);
    const left = await history.close({ timeoutMs: SHUTDOWN_TIMEOUT_MS });
    await guard.close();
    stream?.close();
    await watcher.close();
    await pool.end();
    log(left === 0 ? 'history flushed; bye' : `${left} history rows could not be written`);
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  console.error('[console] failed to start:', error);
  process.exit(1);
});
