#!/usr/bin/env node
// Compiles the Just-in-Time TypeScript of one deployable into plain ESM for a container image.
//
//   node infra/images/bundle.mjs --out-root /out apps/scorer/src/cli.ts packages/db/src/migrate-cli.ts
//
// Why a bundle (and not tsx at run time): the image starts with plain `node`, with no
// TypeScript compile on every cold start (it matters most for the Lambda), and without
// tsx, TypeScript or the sources in the image.
//
// What is bundled: our own code only, i.e. the entry plus every `@tripcast/*` workspace package
// it imports (they export src/*.ts, which Node cannot load). Everything from node_modules stays
// external and is installed in the image by `npm ci --omit=dev`: native addons (onnxruntime-node,
// DuckDB), Prisma's runtime and wasm, pg, the AWS SDK, pino workers all keep their own file layout.
//
// Where: each bundle is written at its entry's path under --out-root with the extension .mjs
// (apps/scorer/src/cli.ts -> <out-root>/apps/scorer/src/cli.mjs), so the repository layout is kept and code
// that finds files relative to itself (`import.meta.dirname`, e.g. packages/db's
// prisma/migrations) finds them at the same relative place in the image.
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { build } from 'esbuild';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Keeps everything that resolves into node_modules external; bundles what resolves to our
 * sources (workspace packages through their symlinks, tsconfig `paths` such as the console's
 * `~/`, package `imports` such as `#src/*`). Asking esbuild where an import resolves, rather than
 * guessing from its spelling, keeps the two apart however an import is written.
 */
const externalizeNodeModules = {
  name: 'externalize-node-modules',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.pluginData?.isProbe) return undefined;
      if (isBuiltin(args.path)) return { path: args.path, external: true };
      const resolved = await pluginBuild.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: { isProbe: true },
      });
      if (resolved.errors.length > 0) return undefined; // let esbuild report it
      if (resolved.path.split(path.sep).includes('node_modules'))
        return { path: args.path, external: true };
      return undefined;
    });
  },
};

export function outfileFor(entry, outRoot) {
  return path.join(outRoot, entry.replace(/\.(m|c)?tsx?$/, '.mjs'));
}

export async function bundleEntries(
  entries,
  { cwd = repoRoot, outRoot = cwd, log = console.log } = {},
) {
  if (entries.length === 0)
    throw new Error('bundle: give at least one entry, e.g. apps/scorer/src/cli.ts');
  const results = [];
  for (const entry of entries) {
    const outfile = outfileFor(entry, path.resolve(cwd, outRoot));
    if (!/\.(m|c)?tsx?$/.test(entry)) throw new Error(`bundle: ${entry} is not a TypeScript entry`);
    const result = await build({
      absWorkingDir: cwd,
      entryPoints: [entry],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node22',
      sourcemap: 'linked', // stack traces point at the TypeScript (node --enable-source-maps)
      keepNames: true,
      legalComments: 'none',
      logLevel: 'warning',
      metafile: true,
      plugins: [externalizeNodeModules],
      // CommonJS helpers some workspace code may use inside an ESM bundle.
      banner: {
        js: "import { createRequire as __tripcastCreateRequire } from 'node:module'; const require = __tripcastCreateRequire(import.meta.url);",
      },
    });
    const externals = new Set();
    for (const output of Object.values(result.metafile.outputs)) {
      for (const imported of output.imports) if (imported.external) externals.add(imported.path);
    }
    log(
      `bundle: ${entry} -> ${outfile} (${[...externals].filter((p) => !p.startsWith('node:')).length} external packages)`,
    );
    results.push({ entry, outfile, externals: [...externals].sort() });
  }
  return results;
}

/** `@scope/name/sub/path` -> `@scope/name`; `name/sub` -> `name`. */
export function packageNameOf(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

// Packages never needed at run time even though a runtime dependency lists them:
// Next's SWC compilers (the build is done) and optional native accelerators we do not use.
const SKIPPED_PACKAGES = [/^@next\/swc-/, /^@img\/sharp-/, /^sharp$/];

// onnxruntime-node ships CPU binaries for every OS and architecture (~290 MB); the images are
// linux/amd64 only, so only bin/napi-v*/linux/x64 is kept.
function isForeignNativeBinary(file) {
  return /[\\/]onnxruntime-node[\\/]bin[\\/]napi-v\d+[\\/](darwin|win32|linux[\\/]arm64)([\\/]|$)/.test(
    file,
  );
}

/** Node's lookup of `name` from a package directory: its own node_modules, then each parent's. */
function resolvePackageDir(name, fromDir, rootDir) {
  let dir = fromDir;
  for (;;) {
    const candidate = path.join(dir, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (dir === rootDir || dir === path.dirname(dir)) return undefined;
    dir = path.dirname(dir);
  }
}

/**
 * Copies the run-time closure of the bundles' external packages (dependencies, installed optional
 * dependencies and required peers) from `fromRoot`'s node_modules into `toRoot`, at the same relative paths,
 * so `node <toRoot>/.../x.mjs` finds exactly what it imports and nothing a developer needs.
 */
export function copyRuntimePackages(externals, { fromRoot, toRoot, log = console.log }) {
  const root = path.resolve(fromRoot);
  const pending = [...new Set(externals.filter((s) => !isBuiltin(s)).map(packageNameOf))].map(
    (name) => ({ name, from: root, isOptional: false }),
  );
  const copied = new Set();
  while (pending.length > 0) {
    const { name, from, isOptional } = pending.pop();
    if (SKIPPED_PACKAGES.some((re) => re.test(name))) continue;
    const dir = resolvePackageDir(name, from, root);
    if (!dir) {
      if (isOptional) continue;
      throw new Error(
        `copy: ${name} (needed from ${path.relative(root, from) || '.'}) is not installed`,
      );
    }
    if (copied.has(dir)) continue;
    copied.add(dir);
    cpSync(dir, path.join(toRoot, path.relative(root, dir)), {
      recursive: true,
      dereference: true,
      filter: (file) => !isForeignNativeBinary(file),
    });
    const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
    for (const dep of Object.keys(manifest.dependencies ?? {}))
      pending.push({ name: dep, from: dir, isOptional: false });
    for (const dep of Object.keys(manifest.optionalDependencies ?? {}))
      pending.push({ name: dep, from: dir, isOptional: true });
    // Required peers are needed at run time (next -> react); optional ones are tooling
    // (@prisma/client -> the prisma CLI, typescript) and stay out.
    for (const dep of Object.keys(manifest.peerDependencies ?? {})) {
      if (manifest.peerDependenciesMeta?.[dep]?.optional) continue;
      pending.push({ name: dep, from: dir, isOptional: true });
    }
  }
  log(`copy: ${copied.size} packages into ${path.join(toRoot, 'node_modules')}`);
  return [...copied].map((dir) => path.relative(root, dir)).sort();
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      'out-root': { type: 'string' },
      'copy-packages': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || positionals.length === 0) {
    console.log(`Usage: node infra/images/bundle.mjs [--out-root DIR] [--copy-packages] <entry.ts>...
  entries          TypeScript entry points, relative to the repository root
  --out-root DIR   write <DIR>/<entry path>.mjs (default: next to the entry)
  --copy-packages  also copy the external packages' run-time closure into <DIR>/node_modules`);
    process.exit(values.help ? 0 : 2);
  }
  const outRoot = path.resolve(values['out-root'] ?? repoRoot);
  bundleEntries(positionals, { outRoot })
    .then((results) => {
      if (values['copy-packages'])
        copyRuntimePackages(
          results.flatMap((r) => r.externals),
          { fromRoot: repoRoot, toRoot: outRoot },
        );
    })
    .catch((error) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    });
}
