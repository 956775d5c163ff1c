// Reads the Terraform configuration the way the tests need it: every module
// parsed by @cdktf/hcl2json (the HCL2 parser compiled to wasm) into its JSON
// form, with the helpers to follow references and resolve variable defaults.
// `terraform init/validate` cannot reach the provider registry here, so these
// helpers are how the wiring is checked offline.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { convertFiles, parse } from '@cdktf/hcl2json';

export const INFRA_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const MODULES_DIR = path.join(INFRA_DIR, 'modules');
export const ENVS_DIR = path.join(INFRA_DIR, 'envs');

/** A block body as hcl2json gives it: attributes, and nested blocks as arrays of bodies. */
export type TBody = Record<string, unknown>;

/** One module (a directory of .tf files) in hcl2json's JSON form. */
export type TModuleConfig = {
  terraform?: TBody[];
  provider?: Record<string, TBody[]>;
  variable?: Record<string, TBody[]>;
  output?: Record<string, TBody[]>;
  locals?: TBody[];
  module?: Record<string, TBody[]>;
  resource?: Record<string, Record<string, TBody[]>>;
  data?: Record<string, Record<string, TBody[]>>;
};

export type TNamedModule = { name: string; dir: string; config: TModuleConfig };

export async function loadModule(dir: string): Promise<TModuleConfig> {
  return (await convertFiles(dir)) as TModuleConfig;
}

/** Parses HCL text (a snippet in a test, or one file). */
export async function parseHcl(text: string, fileName = 'snippet.tf'): Promise<TModuleConfig> {
  return (await parse(fileName, text)) as TModuleConfig;
}

export function listModuleDirs(): string[] {
  return readdirSync(MODULES_DIR)
    .map((name) => path.join(MODULES_DIR, name))
    .filter((dir) => statSync(dir).isDirectory())
    .sort();
}

export function listEnvDirs(): string[] {
  return readdirSync(ENVS_DIR)
    .map((name) => path.join(ENVS_DIR, name))
    .filter((dir) => statSync(dir).isDirectory())
    .sort();
}

export async function loadAllModules(): Promise<TNamedModule[]> {
  const dirs = [...listModuleDirs(), ...listEnvDirs()];
  return Promise.all(
    dirs.map(async (dir) => ({
      name: path.relative(INFRA_DIR, dir),
      dir,
      config: await loadModule(dir),
    })),
  );
}

export function readText(file: string): string {
  return readFileSync(file, 'utf8');
}

// ------------------------------------------------------------ block access

/** hcl2json wraps every block body in an array (blocks may repeat): the first body, if any. */
export function first(value: unknown): TBody | undefined {
  if (Array.isArray(value)) return value[0] as TBody | undefined;
  return undefined;
}

export function blocks(value: unknown): TBody[] {
  return Array.isArray(value) ? (value as TBody[]) : [];
}

export type TResource = { type: string; name: string; body: TBody };

export function listResources(config: TModuleConfig, type?: string): TResource[] {
  const out: TResource[] = [];
  for (const [resourceType, byName] of Object.entries(config.resource ?? {})) {
    if (type && resourceType !== type) continue;
    for (const [name, bodies] of Object.entries(byName)) {
      for (const body of bodies) out.push({ type: resourceType, name, body });
    }
  }
  return out;
}

export function getResource(config: TModuleConfig, type: string, name: string): TBody | undefined {
  return first(config.resource?.[type]?.[name]);
}

export function getData(config: TModuleConfig, type: string, name: string): TBody | undefined {
  return first(config.data?.[type]?.[name]);
}

export function getVariable(config: TModuleConfig, name: string): TBody | undefined {
  return first(config.variable?.[name]);
}

// ---------------------------------------------------------------- values

const WHOLE_INTERPOLATION = /^\$\{([\s\S]*)\}$/;

/** The expression inside "${...}" when the whole string is one interpolation. */
export function expressionOf(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  return WHOLE_INTERPOLATION.exec(value)?.[1]?.trim();
}

/**
 * Resolves a literal or a plain `${var.x}` to a value, using the module's
 * variable default (or the given inputs, for a module call). Anything more
 * dynamic is returned as `undefined` so a test cannot mistake it for a literal.
 */
export function resolveValue(config: TModuleConfig, value: unknown, inputs: TBody = {}): unknown {
  const expression = expressionOf(value);
  if (expression === undefined) return value;
  const varMatch = /^var\.([A-Za-z0-9_]+)$/.exec(expression);
  if (!varMatch?.[1]) return undefined;
  const name = varMatch[1];
  if (name in inputs) return inputs[name];
  return getVariable(config, name)?.default;
}

/** Every string in a value (nested blocks included) that holds an interpolation. */
export function collectExpressions(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') {
    if (value.includes('${')) out.push(value);
  } else if (Array.isArray(value)) {
    for (const item of value) collectExpressions(item, out);
  } else if (value && typeof value === 'object') {
    for (const item of Object.values(value)) collectExpressions(item, out);
  }
  return out;
}

/** Strips `# ...` comments that hcl2json keeps inside multi-line expressions (jsonencode bodies). */
export function stripExpressionComments(text: string): string {
  return text.replace(/(^|\s)#[^\n]*/g, '$1');
}

export type TReference =
  | { kind: 'var'; name: string }
  | { kind: 'local'; name: string }
  | { kind: 'module'; name: string; output: string }
  | { kind: 'resource'; type: string; name: string }
  | { kind: 'data'; type: string; name: string };

/** The references (var., local., module., resources, data.) an expression makes. */
export function findReferences(expression: string): TReference[] {
  const text = stripExpressionComments(expression).replace(/"(?:[^"\\]|\\.)*"/g, (literal) =>
    // keep interpolations inside string literals, drop the literal text
    [...literal.matchAll(/\$\{([^}]*)\}/g)].map((m) => ` ${m[1] ?? ''} `).join(' '),
  );
  const refs: TReference[] = [];
  for (const m of text.matchAll(/(?<![\w.])var\.([A-Za-z0-9_]+)/g))
    refs.push({ kind: 'var', name: m[1] ?? '' });
  for (const m of text.matchAll(/(?<![\w.])local\.([A-Za-z0-9_]+)/g))
    refs.push({ kind: 'local', name: m[1] ?? '' });
  for (const m of text.matchAll(
    /(?<![\w.])module\.([A-Za-z0-9_]+)(?:\[[^\]]*\])?\.([A-Za-z0-9_]+)/g,
  )) {
    refs.push({ kind: 'module', name: m[1] ?? '', output: m[2] ?? '' });
  }
  for (const m of text.matchAll(/(?<![\w.])data\.([a-z0-9_]+)\.([A-Za-z0-9_]+)/g)) {
    refs.push({ kind: 'data', type: m[1] ?? '', name: m[2] ?? '' });
  }
  for (const m of text.matchAll(/(?<![\w.])(aws_[a-z0-9_]+|random_[a-z0-9_]+)\.([A-Za-z0-9_]+)/g)) {
    refs.push({ kind: 'resource', type: m[1] ?? '', name: m[2] ?? '' });
  }
  return refs;
}

/** A local value's raw expression (locals may be spread over several blocks and files). */
export function getLocal(config: TModuleConfig, name: string): unknown {
  for (const body of config.locals ?? []) if (name in body) return body[name];
  return undefined;
}

export function listLocals(config: TModuleConfig): Set<string> {
  const names = new Set<string>();
  for (const body of config.locals ?? []) for (const key of Object.keys(body)) names.add(key);
  return names;
}
