// kinesalite in a process of its own for the benchmark, so the producer's event loop and the
// endpoint's do not share one thread. Prints {"endpoint": ...} on stdout once listening.
import { startKinesis } from '@tripcast/local-stack';

const server = await startKinesis({ port: 0 });
console.log(JSON.stringify({ endpoint: server.endpoint }));
process.on('SIGTERM', () => void server.stop().then(() => process.exit(0)));
