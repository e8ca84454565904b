import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // Node loads graphql-js's CommonJS build for Apollo and Pothos; without this alias Vite would
    // hand our sources the ESM build, and tests would run with two copies of graphql-js.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    include: ['tests/**/*.test.ts'],
    // Checks, once the run ends, that every statement the API sent names one tenant (STATEMENT_TENANCY).
    globalSetup: ['tests/support/statement-tenancy-setup.ts'],
    environment: 'node',
    pool: 'forks',
    testTimeout: 30_000,
    // On Citus (CITUS=1) the first setup hook that makes a database distributes a template, 25–90 s alone
    // (tests/support/citus.ts).
    hookTimeout: process.env.CITUS === '1' ? 600_000 : 60_000,
    env: { NODE_ENV: 'test' },
  },
});
