// A small offline `terraform validate`: every reference resolves, and every root variable has a value.
// Each function returns the problems it finds (an empty list = the rule holds).
import type { TBody, TModuleConfig, TNamedModule } from '../terraform-config';
import {
  collectExpressions,
  findReferences,
  first,
  getVariable,
  listLocals,
  listResources,
  stripExpressionComments,
} from '../terraform-config';

// --------------------------------------------------------- mini validate

const META_ARGUMENTS = new Set([
  'source',
  'version',
  'count',
  'for_each',
  'providers',
  'depends_on',
]);

/**
 * What `terraform validate` would catch about names, without the providers:
 * every var./local./resource/data reference is declared, every module call
 * passes exactly the variables its module declares (all required ones), and
 * every module.X.Y names an output of X.
 */
export function findReferenceProblems(
  module: TNamedModule,
  loadByDir: (dir: string) => TModuleConfig | undefined,
): string[] {
  const { config, name: where } = module;
  const problems: string[] = [];
  const locals = listLocals(config);
  const declared = (kind: 'resource' | 'data', type: string, name: string) =>
    Boolean((kind === 'resource' ? config.resource : config.data)?.[type]?.[name]);

  const everything: unknown[] = [
    config.resource,
    config.data,
    config.module,
    config.output,
    config.locals,
    config.provider,
  ];
  const seen = new Set<string>();
  for (const expression of collectExpressions(everything)) {
    for (const ref of findReferences(expression)) {
      const key = JSON.stringify(ref);
      if (seen.has(key)) continue;
      seen.add(key);
      if (ref.kind === 'var' && !config.variable?.[ref.name])
        problems.push(`${where}: var.${ref.name} is not declared`);
      if (ref.kind === 'local' && !locals.has(ref.name))
        problems.push(`${where}: local.${ref.name} is not declared`);
      if (ref.kind === 'resource' && !declared('resource', ref.type, ref.name))
        problems.push(`${where}: ${ref.type}.${ref.name} is not declared`);
      if (ref.kind === 'data' && !declared('data', ref.type, ref.name))
        problems.push(`${where}: data.${ref.type}.${ref.name} is not declared`);
      if (ref.kind === 'module') {
        const call = first(config.module?.[ref.name]);
        if (!call) {
          problems.push(`${where}: module.${ref.name} is not declared`);
          continue;
        }
        const target = loadByDir(String(call.source));
        if (target && !target.output?.[ref.output])
          problems.push(
            `${where}: module.${ref.name}.${ref.output} is not an output of ${String(call.source)}`,
          );
      }
    }
  }

  // each.* only inside a for_each block, count.index only inside a counted one.
  const iterated: Array<[string, TBody]> = [
    ...listResources(config).map((r): [string, TBody] => [`${r.type}.${r.name}`, r.body]),
    ...Object.entries(config.data ?? {}).flatMap(([type, byName]) =>
      Object.entries(byName).map(([name, bodies]): [string, TBody] => [
        `data.${type}.${name}`,
        bodies[0] ?? {},
      ]),
    ),
    ...Object.entries(config.module ?? {}).map(([name, bodies]): [string, TBody] => [
      `module.${name}`,
      bodies[0] ?? {},
    ]),
  ];
  for (const [label, body] of iterated) {
    const text = collectExpressions(body).map(stripExpressionComments).join('\n');
    if (/(?<![\w.])each\.(key|value)/.test(text) && body.for_each === undefined)
      problems.push(`${where}: ${label} uses each.* without for_each`);
    if (/(?<![\w.])count\.index/.test(text) && body.count === undefined)
      problems.push(`${where}: ${label} uses count.index without count`);
  }

  for (const [callName, calls] of Object.entries(config.module ?? {})) {
    const call = calls[0] ?? {};
    const target = loadByDir(String(call.source));
    if (!target) {
      problems.push(
        `${where}: module.${callName} source ${String(call.source)} is not a local module`,
      );
      continue;
    }
    for (const argument of Object.keys(call)) {
      if (!META_ARGUMENTS.has(argument) && !target.variable?.[argument]) {
        problems.push(
          `${where}: module.${callName} passes "${argument}", which ${String(call.source)} does not declare`,
        );
      }
    }
    for (const [variable, bodies] of Object.entries(target.variable ?? {})) {
      const body = bodies[0] ?? {};
      if (!('default' in body) && !(variable in call)) {
        problems.push(`${where}: module.${callName} does not pass required "${variable}"`);
      }
    }
  }
  return problems;
}

/** Variables of a root that neither have a default nor a value in terraform.tfvars (and tfvars keys nobody declared). */
export function findTfvarsProblems(
  config: TModuleConfig,
  tfvars: Record<string, unknown>,
  where: string,
): string[] {
  const problems: string[] = [];
  for (const [name, bodies] of Object.entries(config.variable ?? {})) {
    if (!('default' in (bodies[0] ?? {})) && !(name in tfvars))
      problems.push(`${where}: terraform.tfvars does not set "${name}"`);
  }
  for (const key of Object.keys(tfvars)) {
    if (!getVariable(config, key))
      problems.push(`${where}: terraform.tfvars sets undeclared "${key}"`);
  }
  return problems;
}
