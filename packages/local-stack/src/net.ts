import net from 'node:net';
import { LocalStackError } from './errors';

/** A port the local stack needs is taken; the message is the one line we show the user. */
export class PortInUseError extends LocalStackError {
  constructor(
    readonly service: string,
    readonly host: string,
    readonly port: number,
    hint?: string,
  ) {
    super(
      `${service} cannot start: port ${port} on ${host} is already in use${hint ? ` (${hint})` : ''}.`,
    );
    this.name = 'PortInUseError';
  }
}

/** Resolves true when nothing listens on host:port (we can bind it ourselves). */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE' || error.code === 'EACCES') resolve(false);
      else reject(error);
    });
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Asks the kernel for a free port on host (bind to port 0, read it back, release it). */
export function getFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Throws PortInUseError when host:port is taken; port 0 always passes. */
export async function assertPortFree(options: {
  service: string;
  host: string;
  port: number;
  hint?: string;
}): Promise<void> {
  if (options.port === 0) return;
  if (!(await isPortFree(options.port, options.host))) {
    throw new PortInUseError(options.service, options.host, options.port, options.hint);
  }
}

/**
 * Whether something accepts connections on localhost:port. The probe hangs up politely: it reads
 * and drops whatever the service sends and closes with a FIN. A destroy() right after connecting
 * resets the connection (RST) whenever the service's first bytes have already arrived, which on
 * a loaded machine is common, and a service without a socket error handler then dies of
 * ECONNRESET: the supervisor would have killed the very service it was waiting for.
 */
export function probePort(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: 'localhost' });
    socket.once('error', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('connect', () => {
      resolve(true);
      socket.resume();
      socket.end();
      // A service that never hangs up (an idle HTTP keep-alive) must not keep us waiting; by
      // now anything it sent has been read, so this close is a plain FIN as well.
      const timer = setTimeout(() => socket.destroy(), 5_000);
      timer.unref();
      socket.once('close', () => clearTimeout(timer));
    });
  });
}

export async function waitForPort(
  port: number,
  until: Promise<unknown>,
  timeoutMs: number,
): Promise<boolean> {
  let isOver = false;
  void until.then(() => (isOver = true));
  const deadline = Date.now() + timeoutMs;
  while (!isOver && Date.now() < deadline) {
    if (await probePort(port)) return true;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return false;
}
