// Prisma CLI configuration (generate, and migrate deploy where the native schema engine exists).
// DATABASE_URL is only needed by migrate; generate gets a placeholder from the npm script.
import { defineConfig, env } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: env('DATABASE_URL') },
});
