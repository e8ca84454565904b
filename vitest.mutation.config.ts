import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

/**
 * The test run of a mutation run (scripts/mutation.mjs): only the test files it names in
 * MUTATION_TEST_FILES. Stryker's own `testFiles` option is not used because with it Stryker
 * activates module-level (static) mutants after the module has loaded, so they always survive.
 */
const files = process.env.MUTATION_TEST_FILES?.split(',').filter(Boolean);
if (!files?.length) throw new Error('MUTATION_TEST_FILES is not set: run `npm run test:mutation -- <module>`');

/** Fastest files first: a mutant run stops at its first failing test, often a quick rule test. */
class FastestFirst extends BaseSequencer {
  override async sort(specifications: TestSpecification[]): Promise<TestSpecification[]> {
    return (await super.sort(specifications)).reverse();
  }
}

export default defineConfig({ ...base, test: { ...base.test, include: files, sequence: { sequencer: FastestFirst } } });
