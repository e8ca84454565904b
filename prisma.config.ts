import { defineConfig } from 'prisma/config';

// Prisma 7 reads the datasource from here. The URL is only used by Prisma's own
// CLI (`prisma migrate status` on a machine that has the engine); the API itself
// connects through driver adapters (src/core/db.ts).
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres' },
});
