import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { readJsonBody } from './read-json-body';

// A real node:http server whose handler only reads the body, so each outcome of readJsonBody
// (parsed, refused, the client gone) can be observed on the server side, listeners included.
type TOutcome = {
  value?: unknown;
  error?: { status?: number; message: string };
  listenersLeft: number;
};

let server: http.Server;
let port: number;
const outcomes: TOutcome[] = [];
const waiting: ((outcome: TOutcome) => void)[] = [];

function record(outcome: TOutcome): void {
  const waiter = waiting.shift();
  if (waiter) waiter(outcome);
  else outcomes.push(outcome);
}

/** The outcome of the next request the server reads (they are sent one at a time). */
function nextOutcome(): Promise<TOutcome> {
  const ready = outcomes.shift();
  return ready ? Promise.resolve(ready) : new Promise((resolve) => waiting.push(resolve));
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const listeners = () =>
      ['data', 'end', 'error', 'close'].reduce((n, event) => n + req.listenerCount(event), 0);
    const before = listeners();
    readJsonBody(req, { maxBytes: 1024 })
      .then(
        (value) => record({ value, listenersLeft: listeners() - before }),
        (error: { status?: number; message: string }) =>
          record({
            error: { status: error.status, message: error.message },
            listenersLeft: listeners() - before,
          }),
      )
      .finally(() => res.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** Sends raw bytes, then ends or destroys the socket. */
function send(raw: string, then: 'end' | 'destroy'): void {
  const socket = net.connect(port, '127.0.0.1', () => {
    socket.write(raw, () => {
      if (then === 'destroy') setTimeout(() => socket.destroy(), 50);
      else socket.end();
    });
  });
  socket.on('error', () => undefined);
  socket.on('data', () => undefined);
}

const head = (length: number | 'chunked', type = 'application/json') =>
  `POST /x HTTP/1.1\r\nHost: x\r\nContent-Type: ${type}\r\n` +
  (length === 'chunked' ? 'Transfer-Encoding: chunked\r\n' : `Content-Length: ${length}\r\n`) +
  '\r\n';

describe('readJsonBody', () => {
  it('parses a body that arrives in pieces, and leaves no listener behind', async () => {
    const body = '{"PULocationID": 10, "note": "ünï"}';
    const outcome = nextOutcome();
    send(head(Buffer.byteLength(body)) + body, 'end');
    expect(await outcome).toEqual({ value: { PULocationID: 10, note: 'ünï' }, listenersLeft: 0 });
  });

  it('a client that disconnects mid-body settles the read with a 400 and detaches its listeners', async () => {
    const outcome = nextOutcome();
    send(head(100) + '{"PULocation', 'destroy');
    expect(await outcome).toEqual({
      error: { status: 400, message: 'The connection closed before the body was complete' },
      listenersLeft: 0,
    });
  });

  it('a chunked body over the limit is refused with 413 once it crosses it', async () => {
    const chunk = '{"a": "' + 'x'.repeat(600) + '",';
    const outcome = nextOutcome();
    const size = (s: string) => Buffer.byteLength(s).toString(16);
    send(head('chunked') + `${size(chunk)}\r\n${chunk}\r\n`.repeat(3), 'destroy');
    expect(await outcome).toMatchObject({ error: { status: 413 }, listenersLeft: 0 });
  });

  it('invalid JSON is a 400 naming the position', async () => {
    const outcome = nextOutcome();
    send(head(5) + '{"a":', 'end');
    const { error } = await outcome;
    expect(error?.status).toBe(400);
    expect(error?.message).toMatch(/^Request body is not valid JSON: /);
  });
});
