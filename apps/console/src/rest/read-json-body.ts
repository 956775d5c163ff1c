import type { IncomingMessage } from 'node:http';
import { HttpError } from './http-error';

/**
 * 1 MiB fits the largest batch we accept (10,000 rides at ~80 bytes each) with room for ride_ids;
 * anything larger belongs to a batch run, not to an online request.
 */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** `application/json`, optionally with `charset=utf-8` (RFC 8259 JSON is UTF-8; anything else is refused). */
function checkContentType(header: string | undefined): void {
  if (header === 'application/json') return; // what nearly every client sends
  const [mediaType = '', ...params] = (header ?? '').split(';').map((part) => part.trim().toLowerCase());
  const charset = params.find((p) => p.startsWith('charset='))?.slice('charset='.length).replaceAll('"', '');
  if (mediaType !== 'application/json' || (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8')) {
    throw new HttpError({
      status: 415,
      code: 'unsupported_media_type',
      message: `Content-Type must be application/json (got ${header ? JSON.stringify(header) : 'none'})`,
    });
  }
}

function tooLarge(limitBytes: number): HttpError {
  // `connection: close` makes Node end the socket once the 413 is written instead of draining
  // (reading and discarding) the rest of an oversized upload to keep the connection alive.
  return new HttpError({
    status: 413,
    code: 'payload_too_large',
    message: `Request body exceeds ${limitBytes} bytes; send at most 10000 rides per request or use a batch run`,
    headers: { connection: 'close' },
  });
}

/**
 * Reads and parses a JSON request body, refusing early: a declared Content-Length over the
 * limit is refused before reading a byte, and a chunked body is refused as soon as it crosses it.
 */
export function readJsonBody(req: IncomingMessage, options: { maxBytes: number }): Promise<unknown> {
  checkContentType(req.headers['content-type']);
  const { maxBytes } = options;
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) return Promise.reject(tooLarge(maxBytes));

  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    // The listeners are methods of one object, not arrow functions in constants: the server runs
    // with esbuild's keepNames (tsx, the image's bundle), which names each such function with an
    // Object.defineProperty when it is made, per request: 2.5% of the API's CPU under load.
    const listeners = {
      data(this: void, chunk: Buffer) {
        size += chunk.length;
        if (size > maxBytes) {
          listeners.detach();
          req.pause();
          reject(tooLarge(maxBytes));
          return;
        }
        chunks.push(chunk);
      },
      end(this: void) {
        listeners.detach();
        const text = (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).toString('utf8');
        if (text.trim() === '') {
          reject(new HttpError({ status: 400, code: 'invalid_json', message: 'Request body is empty; send a JSON object' }));
          return;
        }
        try {
          resolve(JSON.parse(text));
        } catch (error) {
          // JSON.parse's message names the position ("Unexpected token } in JSON at position 12"), which helps
          // the caller; it carries no server internals.
          const detail = error instanceof SyntaxError ? `: ${error.message}` : '';
          reject(new HttpError({ status: 400, code: 'invalid_json', message: `Request body is not valid JSON${detail}` }));
        }
      },
      // A client that disconnects mid-body: node reports it as an 'error' ("aborted") or only as a
      // 'close'. Either way it is the client's doing: a 400 (if the socket still takes it), not a
      // server failure in the logs, and the promise (and its chunks) always settles.
      gone(this: void) {
        listeners.detach();
        reject(new HttpError({ status: 400, code: 'invalid_request', message: 'The connection closed before the body was complete' }));
      },
      detach(this: void) {
        req.off('data', listeners.data);
        req.off('end', listeners.end);
        req.off('error', listeners.gone);
        req.off('close', listeners.gone);
      },
    };
    req.on('data', listeners.data);
    req.on('end', listeners.end);
    req.on('error', listeners.gone);
    req.on('close', listeners.gone);
  });
}
