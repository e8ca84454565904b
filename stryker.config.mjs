// @ts-check
/**
 * Mutation testing of the rule modules, one module per run: `npm run test:mutation -- <module>`
 * (scripts/mutation.mjs). A run mutates only that module and runs only the test files listed for it
 * here (the fast tests that pin its rules), and within them only the tests that reach each mutant.
 */

/** The test files that pin each rule module's rules. */
export const TESTS_OF = {
  'src/assignments/status.ts': ['tests/rules/status.test.ts', 'tests/api/status-filters.test.ts'],
  // validate.ts also holds isUuid and the token-claim sanitisers, pinned by the auth rule tests.
  'src/core/validate.ts': [
    'tests/rules/validate.test.ts',
    'tests/rules/validate-claims.test.ts',
    'tests/rules/validate-fields.test.ts',
    'tests/rules/auth-claims.test.ts',
  ],
  'src/core/auth.ts': [
    'tests/rules/auth-secret.test.ts',
    'tests/rules/auth-jwks.test.ts',
    'tests/rules/auth-claims.test.ts',
    'tests/rules/auth-bearer-and-mint.test.ts',
    'tests/rules/auth-times.test.ts',
  ],
  'src/core/limits.ts': ['tests/rules/limits.test.ts'],
  'src/core/document-shape.ts': ['tests/rules/limits-shape.test.ts', 'tests/rules/limits-linear.test.ts'],
  'src/core/query-cost.ts': ['tests/rules/limits.test.ts', 'tests/rules/limits-linear.test.ts'],
  'src/core/introspection-cost.ts': ['tests/rules/limits.test.ts'],
  'src/risk/auto-assign.ts': ['tests/risk/auto-assign-fragments.test.ts'],
};

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  plugins: ['@stryker-mutator/vitest-runner'],
  vitest: { configFile: 'vitest.mutation.config.ts', related: false },
  // Each test records which mutants it reaches; a mutant then runs only the tests that reach it.
  coverageAnalysis: 'perTest',
  // Two cores, shared: one test runner at a time.
  concurrency: 1,
  timeoutMS: 60_000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  ignorePatterns: ['.data', 'bench', 'reports', 'scratch', 'coverage', 'dist'],
  cleanTempDir: 'always',
};
