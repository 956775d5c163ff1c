import { createServer } from 'node:http';
import type { Server } from 'node:http';

import type { TConsumer } from './consumer';

/** `/health` (200 while the lease loop is alive and no shard is stalled, else 503 with the reason) and `/metrics` (JSON counters). */
export async function startHealthServer(options: { consumer: TConsumer; host: string; port: number }): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (path === '/health') {
      const { isHealthy, reason, failingChallengers } = options.consumer.health();
      return send(isHealthy ? 200 : 503, {
        status: isHealthy ? 'ok' : 'unhealthy',
        ...(reason ? { reason } : {}),
        owner: options.consumer.owner,
        // Skipped challengers are reported here but never make the consumer unhealthy.
        ...(failingChallengers.length > 0 ? { failingChallengers } : {}),
      });
    }
    if (path === '/metrics') return send(200, options.consumer.snapshot());
    return send(404, { error: 'not found: try /health or /metrics' });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return { server, url: `http://${options.host}:${port}` };
}
