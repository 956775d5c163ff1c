// Every `resource` and `data` block checked against its provider's schema
// (src/provider-schema.ts): the type exists, every argument and nested block
// exists, required ones are present, blocks are written as blocks, and literal
// values have a type Terraform can convert to the argument's type.
// Expressions (`${...}` in hcl2json's form) are not evaluated: their type is
// only known to `terraform validate`.
import type {
  TAttributeSchema,
  TBlockSchema,
  TProviderSchema,
  TValueType,
} from './provider-schema';
import type { TAssignment } from './hcl-assignments';
import type { TBody, TModuleConfig } from './terraform-config';

/** Handled by Terraform itself, on every resource and data block. */
const META_ARGUMENTS = new Set(['count', 'for_each', 'provider', 'depends_on']);
const META_BLOCKS = new Set(['lifecycle', 'connection', 'provisioner']);

function isExpression(value: unknown): boolean {
  return typeof value === 'string' && value.includes('${');
}

function describeValue(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${JSON.stringify(value)}`;
}

function describeType(type: TValueType): string {
  if (typeof type === 'string') return type;
  if ('list' in type) return `list(${describeType(type.list)})`;
  if ('map' in type) return `map(${describeType(type.map)})`;
  return 'object';
}

/**
 * Problems with one literal value against a type, following Terraform's conversions:
 * numbers and bools convert to strings, strings convert to numbers or bools only when
 * they spell one, and nothing converts between numbers and bools.
 */
function findValueProblems(value: unknown, type: TValueType, label: string): string[] {
  if (value === null || isExpression(value) || type === 'any') return [];
  if (type === 'string') {
    return ['string', 'number', 'boolean'].includes(typeof value)
      ? []
      : [`${label}: expects a string, got ${describeValue(value)}`];
  }
  if (type === 'number') {
    if (typeof value === 'number') return [];
    if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
      return [];
    return [`${label}: expects a number, got ${describeValue(value)}`];
  }
  if (type === 'bool') {
    if (typeof value === 'boolean' || value === 'true' || value === 'false') return [];
    return [`${label}: expects a bool, got ${describeValue(value)}`];
  }
  if ('list' in type) {
    if (!Array.isArray(value))
      return [`${label}: expects ${describeType(type)}, got ${describeValue(value)}`];
    return value.flatMap((item, index) => findValueProblems(item, type.list, `${label}[${index}]`));
  }
  if ('map' in type) {
    if (typeof value !== 'object' || Array.isArray(value))
      return [`${label}: expects ${describeType(type)}, got ${describeValue(value)}`];
    return Object.entries(value as TBody).flatMap(([key, item]) =>
      findValueProblems(item, type.map, `${label}.${key}`),
    );
  }
  // An object-typed argument: one object, or a list of them (a block written as an attribute).
  const objects = Array.isArray(value) ? value : [value];
  return objects.flatMap((item, index) =>
    typeof item === 'object' && item !== null && !Array.isArray(item)
      ? findBodyProblems(item as TBody, type.object, `${label}[${index}]`, { isAttribute: true })
      : isExpression(item)
        ? []
        : [`${label}: expects an object, got ${describeValue(item)}`],
  );
}

function findAttributeProblems(
  name: string,
  value: unknown,
  attribute: TAttributeSchema,
  label: string,
): string[] {
  if (attribute.required && value === null)
    return [`${label}: required argument "${name}" is null`];
  return findValueProblems(value, attribute.type, `${label}.${name}`);
}

/** Problems with one block body (a resource's, a nested block's, or a dynamic block's content). */
function findBodyProblems(
  body: TBody,
  schema: TBlockSchema,
  label: string,
  options: { isTopLevel?: boolean; isAttribute?: boolean } = {},
): string[] {
  const problems: string[] = [];
  const dynamicBlocks = (options.isAttribute ? {} : (body.dynamic ?? {})) as Record<
    string,
    unknown
  >;

  for (const [name, value] of Object.entries(body)) {
    if (name === 'dynamic' && !options.isAttribute) continue;
    if (options.isTopLevel && (META_ARGUMENTS.has(name) || META_BLOCKS.has(name))) continue;

    const attribute = schema.attributes[name];
    if (attribute) {
      problems.push(...findAttributeProblems(name, value, attribute, label));
      continue;
    }
    const block = schema.blocks[name];
    if (block) {
      // hcl2json gives `name { ... }` as an array of bodies; `name = {...}` or `name = expr` is an argument.
      if (!Array.isArray(value)) {
        problems.push(
          `${label}: "${name}" is a block, written as an argument (use ${name} { ... } or a dynamic block)`,
        );
        continue;
      }
      value.forEach((item, index) => {
        if (typeof item === 'object' && item !== null && !Array.isArray(item)) {
          problems.push(
            ...findBodyProblems(item as TBody, block.schema, `${label}.${name}[${index}]`),
          );
        } else {
          problems.push(`${label}: "${name}" is a block, written as an argument`);
        }
      });
      continue;
    }
    problems.push(
      `${label}: unknown ${Array.isArray(value) && value.every((v) => typeof v === 'object' && v !== null) ? 'argument or block' : 'argument'} "${name}"`,
    );
  }

  for (const [name, generators] of Object.entries(dynamicBlocks)) {
    const block = schema.blocks[name];
    if (!block) {
      problems.push(`${label}: dynamic "${name}" is not a block of this type`);
      continue;
    }
    (Array.isArray(generators) ? (generators as TBody[]) : []).forEach((generator, index) => {
      const contents = Array.isArray(generator.content) ? (generator.content as TBody[]) : [];
      if (contents.length !== 1)
        problems.push(`${label}: dynamic "${name}" needs one content block`);
      for (const content of contents) {
        problems.push(
          ...findBodyProblems(content, block.schema, `${label}.dynamic.${name}[${index}].content`),
        );
      }
    });
  }

  for (const [name, attribute] of Object.entries(schema.attributes)) {
    if (attribute.required && !(name in body))
      problems.push(`${label}: missing required argument "${name}"`);
  }
  for (const [name, block] of Object.entries(schema.blocks)) {
    if (block.required && !(name in body) && !(name in dynamicBlocks)) {
      problems.push(`${label}: missing required block "${name}"`);
    }
  }
  return problems;
}

/** The provider of a type: the part before the first underscore (`aws_s3_bucket` → aws). */
function providerOf(type: string): string {
  return type.split('_')[0] ?? type;
}

/** Problems with every resource and data block of one module, against the given providers' schemas. */
export function findSchemaProblems(
  config: TModuleConfig,
  where: string,
  schemas: Record<string, TProviderSchema>,
): string[] {
  const problems: string[] = [];
  for (const kind of ['resource', 'data'] as const) {
    for (const [type, byName] of Object.entries(config[kind] ?? {})) {
      const schema = schemas[providerOf(type)];
      const address = `${where}: ${kind === 'data' ? 'data.' : ''}${type}`;
      if (!schema) {
        problems.push(`${address}: no schema for provider "${providerOf(type)}"`);
        continue;
      }
      const typeSchema = schema[kind][type];
      if (!typeSchema) {
        problems.push(
          `${address}: ${providerOf(type)} ${schema.version} has no ${kind} type "${type}"`,
        );
        continue;
      }
      for (const [name, bodies] of Object.entries(byName)) {
        for (const body of bodies) {
          problems.push(
            ...findBodyProblems(body, typeSchema, `${address}.${name}`, { isTopLevel: true }),
          );
        }
      }
    }
  }
  return problems;
}

/**
 * Nested blocks written as `name = [{ ... }]`: hcl2json gives that the same shape as blocks, so
 * only the source shows it (src/hcl-assignments.ts). `name = { ... }` is caught on the parsed form.
 */
export function findListAssignedBlocks(
  assignments: TAssignment[],
  where: string,
  schemas: Record<string, TProviderSchema>,
): string[] {
  const problems: string[] = [];
  for (const assignment of assignments) {
    const [kind, type, name] = assignment.header;
    if ((kind !== 'resource' && kind !== 'data') || !type || assignment.valueStart !== '[')
      continue;
    let schema: TBlockSchema | undefined = schemas[providerOf(type)]?.[kind][type];
    const names: string[] = [];
    assignment.path.forEach((labels, index) => {
      if (labels[0] === 'dynamic') return; // its content block is the block it makes
      const previous = assignment.path[index - 1];
      const blockName =
        labels[0] === 'content' && previous?.[0] === 'dynamic' ? previous[1] : labels[0];
      if (!blockName) return;
      names.push(blockName);
      schema = schema?.blocks[blockName]?.schema;
    });
    if (schema?.blocks[assignment.name]) {
      const address = `${where}: ${kind === 'data' ? 'data.' : ''}${type}.${name ?? ''}${names.map((n) => `.${n}`).join('')}`;
      problems.push(
        `${address}: "${assignment.name}" is a block, written as an argument (line ${assignment.line}; use ${assignment.name} { ... } or a dynamic block)`,
      );
    }
  }
  return problems;
}
