// The providers' own schemas, offline. `terraform validate` needs the provider
// plugins, which cannot be downloaded here, so the schemas come from the CDKTF
// bindings on npm: each package's `.jsii` file describes every resource and
// data source config struct, with each property's type, whether it is optional,
// and a link to its documentation on the Terraform Registry.
//
// The bindings rename types and arguments (aws_s3_bucket_versioning is
// `S3BucketVersioningAConfig`, arguments are camelCase), so nothing is mapped
// by name: the Terraform type comes from the documentation link
// (`registry.terraform.io/providers/hashicorp/aws/6.25.0/docs/resources/<type>#<argument>`)
// and so does each argument's snake_case name.
//
// The aws `.jsii` file is 131 MB of JSON (about 3 s to parse): the compact
// index built from it is cached under node_modules/.cache, keyed by the
// package's version and file size and by this file's own hash, so a provider
// upgrade or a change to the builder rebuilds it. Nothing generated is committed.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { INFRA_DIR } from './terraform-config';

/** A value type, as Terraform's type system sees it. */
export type TValueType =
  | 'string'
  | 'number'
  | 'bool'
  | 'any'
  | { list: TValueType }
  | { map: TValueType }
  /** An object-typed argument (a nested attribute, or a block written as an attribute). */
  | { object: TBlockSchema };

export type TAttributeSchema = { type: TValueType; required: boolean };

/** A nested block: `name { ... }` in HCL (hcl2json gives an array of bodies). */
export type TNestedBlockSchema = { required: boolean; schema: TBlockSchema };

export type TBlockSchema = {
  attributes: Record<string, TAttributeSchema>;
  blocks: Record<string, TNestedBlockSchema>;
};

/** One provider's resources and data sources, by Terraform type (`aws_s3_bucket`). */
export type TProviderSchema = {
  provider: string;
  version: string;
  resource: Record<string, TBlockSchema>;
  data: Record<string, TBlockSchema>;
};

/** The bindings we read, one per provider the configuration uses (infra/package.json pins them). */
export const SCHEMA_PACKAGES: Record<string, string> = {
  aws: '@cdktf/provider-aws',
  random: '@cdktf/provider-random',
};

// ------------------------------------------------------------- jsii input

type TJsiiTypeRef = {
  primitive?: 'string' | 'number' | 'boolean' | 'any' | 'date' | 'json';
  fqn?: string;
  collection?: { kind: 'array' | 'map'; elementtype: TJsiiTypeRef };
  union?: { types: TJsiiTypeRef[] };
};

type TJsiiProperty = {
  name: string;
  optional?: boolean;
  type: TJsiiTypeRef;
  docs?: { summary?: string; remarks?: string };
};

type TJsiiType = {
  kind: string;
  datatype?: boolean;
  interfaces?: string[];
  properties?: TJsiiProperty[];
};

type TJsiiAssembly = { types: Record<string, TJsiiType> };

const DOC_LINK =
  /registry\.terraform\.io\/providers\/hashicorp\/([a-z0-9]+)\/([0-9.]+)\/docs\/(resources|data-sources)\/([a-z0-9_]+)#([a-z0-9_]+)/;

type TDocLink = {
  provider: string;
  version: string;
  kind: 'resource' | 'data';
  page: string;
  name: string;
};

function readDocLink(property: TJsiiProperty): TDocLink | undefined {
  const match = DOC_LINK.exec(`${property.docs?.summary ?? ''}\n${property.docs?.remarks ?? ''}`);
  if (!match) return undefined;
  const [, provider = '', version = '', kind, page = '', name = ''] = match;
  return { provider, version, kind: kind === 'resources' ? 'resource' : 'data', page, name };
}

/** The bindings mark nested blocks with the summary "<name> block."; object-typed attributes lack it. */
function isBlockProperty(property: TJsiiProperty): boolean {
  return / block\.$/.test(property.docs?.summary?.trim() ?? '');
}

/** The struct a property refers to, if any: a single block (`fqn`) or a list of them (union with an array). */
function findStructFqn(ref: TJsiiTypeRef, types: TJsiiAssembly['types']): string | undefined {
  if (ref.fqn && types[ref.fqn]?.datatype) return ref.fqn;
  if (ref.union) {
    for (const member of ref.union.types) {
      const fqn =
        member.collection?.kind === 'array'
          ? findStructFqn(member.collection.elementtype, types)
          : undefined;
      if (fqn) return fqn;
    }
  }
  return undefined;
}

function toValueType(
  ref: TJsiiTypeRef,
  types: TJsiiAssembly['types'],
  seen: Set<string>,
): TValueType {
  if (ref.primitive === 'string') return 'string';
  if (ref.primitive === 'number') return 'number';
  if (ref.primitive === 'boolean') return 'bool';
  if (ref.primitive) return 'any';
  if (ref.collection) {
    const element = toValueType(ref.collection.elementtype, types, seen);
    return ref.collection.kind === 'map' ? { map: element } : { list: element };
  }
  if (ref.union) {
    // cdktf widens booleans and lists of objects with IResolvable (a token): the other member is the type.
    const members = ref.union.types.filter((member) => member.fqn !== 'cdktf.IResolvable');
    if (members.length === 1 && members[0]) return toValueType(members[0], types, seen);
    return 'any';
  }
  if (ref.fqn && types[ref.fqn]?.datatype && !seen.has(ref.fqn)) {
    return { object: buildBlockSchema(ref.fqn, types, seen) };
  }
  return 'any';
}

function buildBlockSchema(
  fqn: string,
  types: TJsiiAssembly['types'],
  seen: Set<string> = new Set(),
): TBlockSchema {
  const schema: TBlockSchema = { attributes: {}, blocks: {} };
  const inner = new Set(seen).add(fqn);
  for (const property of types[fqn]?.properties ?? []) {
    const link = readDocLink(property);
    if (!link) continue;
    const required = property.optional !== true;
    const structFqn = findStructFqn(property.type, types);
    if (structFqn && isBlockProperty(property) && !inner.has(structFqn)) {
      schema.blocks[link.name] = { required, schema: buildBlockSchema(structFqn, types, inner) };
    } else {
      schema.attributes[link.name] = { type: toValueType(property.type, types, inner), required };
    }
  }
  return schema;
}

/** Builds the index from one bindings package's parsed `.jsii` assembly. */
export function buildProviderSchema(assembly: TJsiiAssembly, provider: string): TProviderSchema {
  const out: TProviderSchema = { provider, version: '', resource: {}, data: {} };
  for (const [fqn, type] of Object.entries(assembly.types)) {
    // Top-level config structs are the ones that take the meta-arguments (count, for_each, ...).
    if (type.kind !== 'interface' || !type.datatype) continue;
    if (!type.interfaces?.includes('cdktf.TerraformMetaArguments')) continue;
    const link = (type.properties ?? []).map(readDocLink).find((l) => l !== undefined);
    if (!link || link.provider !== provider) continue; // the provider's own config struct has no page
    const terraformType = `${provider}_${link.page}`;
    if (out[link.kind][terraformType]) {
      throw new Error(`${fqn}: a second config struct documents ${link.kind} ${terraformType}`);
    }
    out.version = link.version;
    out[link.kind][terraformType] = buildBlockSchema(fqn, assembly.types);
  }
  return out;
}

// ----------------------------------------------------------------- cache

const require = createRequire(import.meta.url);
const CACHE_DIR = path.join(INFRA_DIR, 'node_modules', '.cache', 'provider-schema');

function hashBuilder(): string {
  const source = readFileSync(fileURLToPath(import.meta.url), 'utf8');
  return createHash('sha256').update(source).digest('hex').slice(0, 12);
}

/** Where a bindings package is installed (its package.json is not exported, so resolve the main entry). */
function findPackageDir(packageName: string): string {
  let dir = path.dirname(require.resolve(packageName));
  while (!existsSync(path.join(dir, '.jsii'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`${packageName}: no .jsii file found`);
    dir = parent;
  }
  return dir;
}

/**
 * One provider's schema index, built from its bindings' `.jsii` on first use and cached
 * (keyed by package version, `.jsii` size and this builder's hash).
 */
export function loadProviderSchema(provider: string): TProviderSchema {
  const packageName = SCHEMA_PACKAGES[provider];
  if (!packageName) throw new Error(`no schema package for provider "${provider}"`);
  const dir = findPackageDir(packageName);
  const { version } = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
    version: string;
  };
  const jsiiFile = path.join(dir, '.jsii');
  const key = `${provider}-${version}-${statSync(jsiiFile).size}-${hashBuilder()}.json`;
  const cacheFile = path.join(CACHE_DIR, key);
  if (existsSync(cacheFile)) {
    return JSON.parse(readFileSync(cacheFile, 'utf8')) as TProviderSchema;
  }
  const schema = buildProviderSchema(
    JSON.parse(readFileSync(jsiiFile, 'utf8')) as TJsiiAssembly,
    provider,
  );
  mkdirSync(CACHE_DIR, { recursive: true });
  // Write then rename, so a parallel run never reads half a file.
  const partial = `${cacheFile}.${process.pid}.tmp`;
  writeFileSync(partial, JSON.stringify(schema));
  renameSync(partial, cacheFile);
  return schema;
}
