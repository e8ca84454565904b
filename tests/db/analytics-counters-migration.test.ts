import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MIGRATIONS_DIR, migrate } from '../../src/core/migrate.js';
import { freshDatabase, type TestDatabase } from '../support/database.js';
import {
  counterDifferences,
  expectFiguresAgree,
  makeWorld,
  run,
  sql,
  switchDatabase,
  type Op,
  type World,
} from './analytics-counters-world.js';
import { setupTimeout } from '../support/citus.js';

/**
 * The migration that turns the counters into one row per course (a column per status) keeps them: a database
 * migrated up to the one before it, with counters its triggers kept in the old shape, reads the same figures after
 * it, and its triggers keep the new rows equal to a recount.
 */

const OURS = '20261216200000_counter_columns_per_status';

let db: TestDatabase;
let worlds: World[];
let before: unknown[][];

/** The effective counts of a tenant, as the analytics read them (training_assignment_effective_counts). */
const effective = (tenant: string) =>
  sql.query(
    `SELECT course_id::text, status, sum(n)::int AS n FROM training_assignment_effective_counts($1::uuid)
     GROUP BY 1, 2 HAVING sum(n) <> 0 ORDER BY 1, 2`,
    [tenant],
  );
const completions = (tenant: string) =>
  sql.query(
    `SELECT course_id::text, passed_count::int, minutes_sum::int, minutes_count::int, score_sum::float8,
            score_count::int FROM training_completion_counts WHERE tenant_id = $1 ORDER BY 1`,
    [tenant],
  );

const HISTORY: Op[] = [
  { kind: 'bulkAssign', due: 2 },
  { kind: 'bulkAssign', due: -2 },
  { kind: 'assign', course: 0, worker: 0, due: null },
  { kind: 'start', n: 1 },
  { kind: 'start', n: 4 },
  { kind: 'complete', n: 0, passed: true, score: 90, minutes: 20 },
  { kind: 'complete', n: 3, passed: false, score: 40, minutes: 10 },
  { kind: 'cancel', n: 5 },
  { kind: 'sweep' },
  { kind: 'moveDue', n: 2, due: -1 },
];

beforeAll(async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'training-migrations-'));
  try {
    for (const name of readdirSync(DEFAULT_MIGRATIONS_DIR)) {
      if (name < OURS) cpSync(path.join(DEFAULT_MIGRATIONS_DIR, name), path.join(dir, name), { recursive: true });
    }
    db = await freshDatabase({ migrated: false });
    await migrate(db, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  switchDatabase(db);
  worlds = [await makeWorld(), await makeWorld()];
  for (const world of worlds) for (const op of HISTORY) await run(world, op);
  before = [];
  for (const world of worlds) before.push(await effective(world.tenant), await completions(world.tenant));
  const applied = await migrate(db);
  expect(applied[0]).toBe(OURS);
}, setupTimeout(240_000));
afterAll(() => db.drop());

describe('the migration to a counter row per course', () => {
  it('keeps every tenant’s figures: the same effective counts and completion sums, equal to a recount', async () => {
    const after: unknown[][] = [];
    for (const world of worlds) after.push(await effective(world.tenant), await completions(world.tenant));
    expect(after).toEqual(before);
    expect(before[0]!.length).toBeGreaterThan(3); // several courses and statuses, overdue among them
    expect(await counterDifferences()).toEqual({ assignments: [], completions: [] });
    for (const world of worlds) await expectFiguresAgree(world);
  });

  it('writes one counter row per course, and its triggers keep the rows equal to a recount', async () => {
    const [world] = worlds;
    const [rows] = await sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM training_assignment_counts WHERE tenant_id = $1`,
      [world!.tenant],
    );
    expect(rows!.n).toBe(world!.courses.length);
    for (const op of [...HISTORY, { kind: 'deleteCourse', course: 1 } satisfies Op]) await run(world!, op);
    expect(await counterDifferences()).toEqual({ assignments: [], completions: [] });
    await expectFiguresAgree(world!);
  });
});
