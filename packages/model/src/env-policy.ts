/**
 * The platform's one policy for empty environment variables: `NAME=` (or only spaces) means unset,
 * as in a shell script, so a default applies and an optional value stays absent instead of failing
 * validation. Every deployable's env.ts parses `withoutEmptyValues(process.env)`.
 */
export function withoutEmptyValues(source: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries(source).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1].trim() !== ''),
  );
}
