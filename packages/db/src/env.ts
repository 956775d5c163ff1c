// The only module of @tripcast/db that reads process.env: getDb() and the migrate CLI.
import { z } from 'zod';

const ZDbEnv = z.object({
  DATABASE_URL: z
    .string({
      error:
        'DATABASE_URL is not set (a postgresql:// URL; `npm start` writes one to .tripcast/env)',
    })
    .min(1, 'DATABASE_URL is empty')
    .regex(/^postgres(ql)?:\/\//, 'DATABASE_URL must start with postgresql:// or postgres://')
    .describe('Postgres connection URL'),
  /** Set on machines that have Prisma's native schema engine (then `migrate` uses `prisma migrate deploy`). */
  PRISMA_SCHEMA_ENGINE_BINARY: z.string().optional(),
});

export type TDbEnv = z.infer<typeof ZDbEnv>;

let cached: TDbEnv | undefined;

/** The validated env; throws one line naming the variable when it is missing or malformed. */
export function readDbEnv(): TDbEnv {
  if (cached) return cached;
  const parsed = ZDbEnv.safeParse(process.env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(issue?.message ?? 'invalid database environment');
  }
  cached = parsed.data;
  return cached;
}
