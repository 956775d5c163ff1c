// The console image's entry: gives Next the configuration it was built with, then starts
// apps/console/server.ts (bundled next to this file as server.mjs).
//
// A Next standalone build does not ship next.config.ts (loading it would need the SWC compiler,
// which the image leaves out); Next's own standalone server.js passes the build's config through
// __NEXT_PRIVATE_STANDALONE_CONFIG, read from .next/required-server-files.json. The custom server
// calls next({ dir }) itself, so this does the same before loading it.
import { readFileSync } from 'node:fs';
import path from 'node:path';

const requiredServerFiles = JSON.parse(
  readFileSync(path.join(import.meta.dirname, '.next', 'required-server-files.json'), 'utf8'),
);
process.env.__NEXT_PRIVATE_STANDALONE_CONFIG ??= JSON.stringify(requiredServerFiles.config);

await import('./server.mjs');
