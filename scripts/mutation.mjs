// Mutation testing of one rule module: `npm run test:mutation -- src/core/limits.ts`; with `--break 90`
// it exits 1 when the score is under 90 % (what .ci/run uses).
/* global process, console */
import { parseArgs } from 'node:util';
import { Stryker } from '@stryker-mutator/core';
import { TESTS_OF } from '../stryker.config.mjs';

const { values, positionals: modules } = parseArgs({ options: { break: { type: 'string' } }, allowPositionals: true });
const known = Object.keys(TESTS_OF);
const threshold = values.break === undefined ? undefined : Number(values.break);
if (modules.length !== 1 || !(modules[0] in TESTS_OF) || (threshold !== undefined && !(threshold >= 0))) {
  console.error(
    `usage: npm run test:mutation -- <module> [--break <score %>]\nmodules and their tests are listed in stryker.config.mjs:`,
  );
  for (const module of known) console.error(`  ${module}`);
  process.exit(2);
}
const [module] = modules;
const started = Date.now();
process.env.MUTATION_TEST_FILES = TESTS_OF[module].join(',');
const results = await new Stryker({ mutate: [module] }).runMutationTest();
const counts = { killed: 0, survived: 0, noCoverage: 0, timeout: 0, other: 0 };
for (const { status } of results) {
  const key =
    { Killed: 'killed', Survived: 'survived', NoCoverage: 'noCoverage', Timeout: 'timeout' }[status] ?? 'other';
  counts[key]++;
}
const detected = counts.killed + counts.timeout;
const valid = detected + counts.survived + counts.noCoverage;
const score = valid === 0 ? 0 : (100 * detected) / valid;
console.log(
  `${module}: mutation score ${score.toFixed(2)} % (${counts.killed} killed, ${counts.timeout} timed out, ` +
    `${counts.survived} survived, ${counts.noCoverage} not covered) in ${Math.round((Date.now() - started) / 1000)} s`,
);
if (threshold !== undefined && score < threshold) {
  console.error(`${module}: mutation score ${score.toFixed(2)} % is under the break threshold of ${threshold} %`);
  process.exitCode = 1;
}
