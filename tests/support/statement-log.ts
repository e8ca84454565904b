import { AsyncLocalStorage } from 'node:async_hooks';
import { appendFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The statements the API sends during a test run, for the tenancy check that runs when the run ends
 * (statement-tenancy-setup.ts). Each test file's process appends every distinct statement text, once, to a
 * file of its own in the run's folder (STATEMENT_LOG_DIR, set by the global setup): one set lookup per statement,
 * a write only for a text not seen before. String literals, and lists of parameters (IN lists), are folded first (the BEGIN script of
 * a read lane carries the caller's values; an IN list's length is the page's), which keeps the files small.
 * Statements a test itself sends to arrange or read back data (through `asHarness`) are not the API's.
 */

const folder = process.env.STATEMENT_LOG_DIR;
const file = folder && path.join(folder, `${process.pid}-${Date.now()}.jsonl`);
/** Whether this run records statements (the tenancy check is on). */
export const statementLogged = file !== undefined;
const seen = new Set<string>();
const harness = new AsyncLocalStorage<true>();

export function recordStatement(sql: string): void {
  if (!file || harness.getStore()) return;
  const folded = sql.replace(/'(?:[^']|'')*'/g, "'…'").replace(/\$\d+(?:\s*,\s*\$\d+)+/g, '$$1, $$2');
  if (seen.has(folded)) return;
  seen.add(folded);
  appendFileSync(file, `${JSON.stringify(folded)}\n`);
}

/** Runs `fn` (a test's own statements: seeding, reading back as a caller) without recording what it sends. */
export function asHarness<T>(fn: () => T): T {
  return harness.run(true, fn);
}
