import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/** Browser entries: the console's client bundle imports these, so they may only reach zod. */
const BROWSER_ENTRIES = ['index.ts', 'features.ts', 'monitoring/index.ts'];
const ALLOWED_PACKAGES = new Set(['zod']);

function importsOf(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  return [...source.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/gm)].map((m) => m[1]!);
}

describe('browser-safe entries', () => {
  it.each(BROWSER_ENTRIES)('%s reaches no Node-only module', (entry) => {
    const seen = new Set<string>();
    const packages = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const specifier of importsOf(file)) {
        if (specifier.startsWith('.')) visit(path.resolve(path.dirname(file), `${specifier}.ts`));
        else packages.add(specifier);
      }
    };
    visit(path.join(import.meta.dirname, entry));
    expect([...packages].filter((p) => !ALLOWED_PACKAGES.has(p))).toEqual([]);
    expect(seen.size).toBeGreaterThan(1);
  });
});
