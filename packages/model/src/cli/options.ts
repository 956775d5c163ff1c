import type { z } from 'zod';

/** Parse one CLI option with its zod schema; a bad value is an error naming the option. */
export function parseCliOption<T extends z.ZodType>(
  schema: T,
  option: string,
  value: string | undefined,
): z.output<T> | undefined {
  if (value === undefined) return undefined;
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new Error(`${option}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}
