// Every variable and output carries a description.
// Each function returns the problems it finds (an empty list = the rule holds).
import type { TModuleConfig } from '../terraform-config';

// ------------------------------------------------------- documentation

export function findUndocumented(config: TModuleConfig, where: string): string[] {
  const problems: string[] = [];
  for (const [name, bodies] of Object.entries(config.variable ?? {})) {
    const body = bodies[0] ?? {};
    if (typeof body.description !== 'string' || body.description.trim() === '') {
      problems.push(`${where}: variable "${name}" has no description`);
    }
    if (body.type === undefined) problems.push(`${where}: variable "${name}" has no type`);
  }
  for (const [name, bodies] of Object.entries(config.output ?? {})) {
    const body = bodies[0] ?? {};
    if (typeof body.description !== 'string' || body.description.trim() === '') {
      problems.push(`${where}: output "${name}" has no description`);
    }
  }
  return problems;
}
