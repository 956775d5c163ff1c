import { createWriteStream } from 'node:fs';
import type { WriteStream } from 'node:fs';
import fs from 'node:fs';
import path from 'node:path';

const COLORS = [36, 35, 33, 32, 34, 96, 95, 93, 92, 94]; // ANSI foreground codes, cycled per name
const paint = (code: number, text: string) => `\u001B[${code}m${text}\u001B[39m`;

export type TLogger = {
  /** One line from process `name`, shown as `name | text`, and appended to <logDir>/<name>.log. */
  line: (name: string, text: string, isError?: boolean) => void;
  /** Only to <logDir>/<name>.log, not the terminal (chatty server logs). */
  fileOnly: (name: string, text: string) => void;
  /** Appends text (split into lines) from process `name`. */
  write: (name: string, chunk: string, isError?: boolean) => void;
  close: () => Promise<void>;
};

export type TCreateLoggerOptions = {
  isColor: boolean;
  /** Each process also gets a plain-text file here, `<name>.log`. */
  logDir?: string;
  out?: NodeJS.WritableStream;
  width?: number;
};

/** Prefixes every line with its process name (coloured on a TTY) so interleaved logs stay readable. */
export function createLogger(options: TCreateLoggerOptions): TLogger {
  const out = options.out ?? process.stdout;
  const width = options.width ?? 10;
  const colors = new Map<string, number>();
  const files = new Map<string, WriteStream>();
  const partial = new Map<string, string>();
  if (options.logDir) fs.mkdirSync(options.logDir, { recursive: true });

  const fileFor = (name: string) => {
    if (!options.logDir) return undefined;
    let file = files.get(name);
    if (!file) {
      file = createWriteStream(path.join(options.logDir, `${name}.log`), { flags: 'a' });
      files.set(name, file);
    }
    return file;
  };

  const line = (name: string, text: string, isError = false) => {
    const clean = text.replace(/\r$/, '');
    let label = `${name.padEnd(width)} |`;
    if (options.isColor) {
      if (!colors.has(name)) colors.set(name, COLORS[colors.size % COLORS.length] ?? 36);
      label = paint(isError ? 31 : (colors.get(name) ?? 36), label);
    }
    out.write(`${label} ${clean}\n`);
    fileFor(name)?.write(`${new Date().toISOString()} ${clean}\n`);
  };

  const fileOnly = (name: string, text: string) => {
    fileFor(name)?.write(`${new Date().toISOString()} ${text.replace(/\r$/, '')}\n`);
  };

  const write = (name: string, chunk: string, isError = false) => {
    const key = `${name}\u0000${isError ? 'err' : 'out'}`;
    const lines = ((partial.get(key) ?? '') + chunk).split('\n');
    partial.set(key, lines.pop() ?? '');
    for (const text of lines) line(name, text, isError);
  };

  const close = async () => {
    for (const [key, rest] of partial) {
      const [name = '', stream] = key.split('\u0000');
      if (rest) line(name, rest, stream === 'err');
    }
    partial.clear();
    await Promise.all(
      [...files.values()].map((file) => new Promise<void>((resolve) => file.end(() => resolve()))),
    );
    files.clear();
  };

  return { line, fileOnly, write, close };
}
