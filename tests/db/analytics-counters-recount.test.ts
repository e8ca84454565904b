import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { freshDatabase, onPostgres } from '../support/database.js';
import { onCitus } from '../support/citus.js';
import { asCaller } from '../support/sql.js';
import {
  db,
  sql,
  makeWorld,
  workerOf,
  type Op,
  opArb,
  run,
  counterDifferences,
  expectFiguresAgree,
  useCountersDatabase,
  switchDatabase,
} from './analytics-counters-world.js';

/**
 * The counters stay equal to a recount of the rows: after the backfill, after random sequences of writes, under
 * TRUNCATE, and under concurrent writers on PostgreSQL.
 */

useCountersDatabase();

describe('analytics counters', () => {
  it('a migrated database starts with counters equal to a recount (the backfill), and no empty bucket', async () => {
    expect(await counterDifferences()).toEqual({ assignments: [], completions: [] });
  });

  it('stay equal to a recount of the rows after any sequence of writes, in every tenant', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(1), opArb), { minLength: 1, maxLength: onPostgres ? 30 : 25 }),
        async (ops) => {
          const worlds = [await makeWorld(), await makeWorld()];
          for (const [w, op] of ops) {
            await run(worlds[w]!, op);
            const differences = await counterDifferences();
            expect(differences, `after ${JSON.stringify(op)}`).toEqual({ assignments: [], completions: [] });
          }
          for (const world of worlds) {
            await expectFiguresAgree(world);
            // A worker asking for the tenant gets their own figures, recounted from their own rows.
            const [someone] = world.workers;
            await expectFiguresAgree(world, workerOf(world, someone!));
          }
        },
      ),
      { numRuns: 40 },
    );
  }, 600_000);

  it('effective statuses from the counters equal those of the rows, today (past-due active ones overdue)', async () => {
    const world = await makeWorld();
    for (const op of [
      { kind: 'bulkAssign', due: -1 },
      { kind: 'assign', course: 0, worker: 0, due: null },
      { kind: 'start', n: 0 },
      { kind: 'start', n: 4 },
      { kind: 'complete', n: 0, passed: true, score: 90, minutes: 20 },
      { kind: 'cancel', n: 7 },
      { kind: 'moveDue', n: 2, due: 0 },
      { kind: 'moveDue', n: 3, due: 5 },
    ] satisfies Op[]) {
      await run(world, op);
    }
    const statuses = (source: 'rows' | 'counters') =>
      asCaller<{ status: string; n: number }>(
        db,
        world.admin,
        source === 'rows'
          ? `SELECT training_effective_status(status, due_date) AS status, count(*)::int AS n
             FROM training_assignments WHERE tenant_id = $1::uuid GROUP BY 1 ORDER BY 1`
          : `SELECT status, sum(n)::int AS n FROM training_assignment_effective_counts($1::uuid)
             GROUP BY 1 HAVING sum(n) <> 0 ORDER BY 1`,
        world.tenant,
      );
    const fromCounters = await statuses('counters');
    expect(fromCounters).toEqual(await statuses('rows'));
    expect(fromCounters.map((row) => row.status)).toEqual(
      expect.arrayContaining(['assigned', 'cancelled', 'completed', 'overdue']),
    );
  });

  it('deletes a counter row when its counts all drop to zero', async () => {
    const world = await makeWorld();
    await run(world, { kind: 'bulkAssign', due: 2 });
    const buckets = async () => ({
      counts: await sql.query<{ n: number }>(
        `SELECT (assigned + in_progress + completed + overdue + cancelled)::int AS n
         FROM training_assignment_counts WHERE tenant_id = $1`,
        [world.tenant],
      ),
      due: await sql.query<{ n: number }>(
        `SELECT (assigned + in_progress)::int AS n FROM training_assignment_due_counts WHERE tenant_id = $1`,
        [world.tenant],
      ),
    });
    const perCourse = world.courses.map(() => ({ n: world.workers.length }));
    expect(await buckets()).toEqual({ counts: perCourse, due: perCourse });
    await run(world, { kind: 'shiftAllDue', days: 1 }); // every due bucket moves to the next day
    expect(await buckets()).toEqual({ counts: perCourse, due: perCourse });
    await sql.query(`DELETE FROM training_assignments WHERE tenant_id = $1`, [world.tenant]);
    expect(await buckets()).toEqual({ counts: [], due: [] });
  });

  it('a statement that fails after some of its rows were counted leaves no count behind (savepoint)', async () => {
    const world = await makeWorld();
    const insert = `INSERT INTO training_assignments (tenant_id, course_id, user_id, due_date)
      SELECT $1::uuid, c, u, training_today() + 3 FROM unnest($2::uuid[]) c, unnest($3::uuid[]) u ORDER BY u = $4::uuid`;
    const stranger = crypto.randomUUID(); // no such profile: the foreign key fails after the others' rows
    await db.withConnection(async (c) => {
      await c.query('BEGIN');
      await c.query('SAVEPOINT bulk');
      await expect(
        c.query(insert, [world.tenant, world.courses, [...world.workers, stranger], stranger]),
      ).rejects.toThrow(/foreign key/);
      await c.query('ROLLBACK TO SAVEPOINT bulk');
      await c.query(insert, [world.tenant, world.courses.slice(0, 1), world.workers.slice(0, 1), stranger]);
      await c.query('COMMIT');
    });
    expect(await counterDifferences()).toEqual({ assignments: [], completions: [] });
    const [counted] = await sql.query<{ n: number }>(
      `SELECT sum(assigned + in_progress + completed + overdue + cancelled)::int AS n
       FROM training_assignment_counts WHERE tenant_id = $1`,
      [world.tenant],
    );
    expect(counted!.n).toBe(1);
  });

  it('counts exactly a statement that changes more buckets than a transaction keeps pending (512)', async () => {
    const world = await makeWorld();
    await sql.query(
      `INSERT INTO profiles (id, tenant_id, role) SELECT gen_random_uuid(), $1::uuid, 'worker'
       FROM generate_series(1, 400)`,
      [world.tenant],
    );
    // 1,200 assignments, each due on its own day: 1,200 due-date buckets in one statement.
    await sql.query(
      `INSERT INTO training_assignments (tenant_id, course_id, user_id, due_date)
       SELECT $1::uuid, c.id, p.id, training_today() + (row_number() OVER (ORDER BY c.id, p.id))::int
       FROM training_courses c JOIN profiles p ON p.tenant_id = c.tenant_id AND p.role = 'worker'
       WHERE c.tenant_id = $1::uuid AND p.id <> ALL ($2::uuid[])`,
      [world.tenant, world.workers],
    );
    expect(await counterDifferences()).toEqual({ assignments: [], completions: [] });
    await sql.query(`UPDATE training_assignments SET status = 'in_progress', started_at = now() WHERE tenant_id = $1`, [
      world.tenant,
    ]);
    expect(await counterDifferences()).toEqual({ assignments: [], completions: [] });
    const [due] = await sql.query<{ buckets: number }>(
      `SELECT count(*)::int AS buckets FROM training_assignment_due_counts WHERE tenant_id = $1 AND in_progress > 0`,
      [world.tenant],
    );
    expect(due!.buckets).toBe(1_200);
  });
});

describe('TRUNCATE (the owner only)', () => {
  it('empties the counters of the tables it empties, cascades included', async () => {
    const other = await freshDatabase();
    try {
      const saved = db;
      switchDatabase(other);
      try {
        const world = await makeWorld();
        await run(world, { kind: 'bulkAssign', due: 1 });
        await run(world, { kind: 'start', n: 0 });
        await run(world, { kind: 'complete', n: 0, passed: true, score: 70, minutes: 10 });
        const total = async () =>
          (
            await sql.query<{ n: number }>(
              `SELECT (SELECT count(*) FROM training_assignment_counts) + (SELECT count(*) FROM training_assignment_due_counts)
                      + (SELECT count(*) FROM training_completion_counts) AS n`,
            )
          )[0]!.n;
        const before = Number(await total());
        expect(before).toBeGreaterThan(0);
        if (onCitus) {
          // The trigger's owner is a second user on the shards the TRUNCATE changed: Citus refuses the whole statement.
          await expect(sql.query('TRUNCATE training_assignments CASCADE')).rejects.toThrow(/by a different user/);
          expect(Number(await total())).toBe(before);
          expect(await counterDifferences()).toEqual({ assignments: [], completions: [] });
          return;
        }
        await sql.query('TRUNCATE training_assignments CASCADE'); // and training_completions with it
        expect(Number(await total())).toBe(0);
        await run(world, { kind: 'bulkAssign', due: 1 });
        expect(await counterDifferences()).toEqual({ assignments: [], completions: [] });
      } finally {
        switchDatabase(saved);
      }
    } finally {
      await other.drop();
    }
  });
});

// Not on Citus, which refuses such a statement as touching many shards.
describe.runIf(onPostgres && !onCitus)('a statement spanning tenants (PostgreSQL: the API never sends one)', () => {
  // The first entry of each counter table may then come from different tenants, which the one-row fast path must
  // leave to the full flush (it deletes an emptied row by one tenant).
  it('counts a statement whose rows in two tenants each move a counter row of a different table', async () => {
    const [a, b] = [await makeWorld(), await makeWorld()];
    await run(a!, { kind: 'assign', course: 0, worker: 0, due: null });
    await run(b!, { kind: 'assign', course: 0, worker: 0, due: 3 });
    await sql.query(
      `UPDATE training_assignments
       SET status = CASE WHEN tenant_id = $1::uuid THEN 'in_progress' ELSE status END,
           started_at = CASE WHEN tenant_id = $1::uuid THEN now() END,
           due_date = CASE WHEN tenant_id = $2::uuid THEN NULL ELSE due_date END
       WHERE tenant_id = ANY ($3::uuid[]) AND status = 'assigned'
         AND course_id = ANY ($4::uuid[]) AND user_id = ANY ($5::uuid[])`,
      [a!.tenant, b!.tenant, [a!.tenant, b!.tenant], [a!.courses[0], b!.courses[0]], [a!.workers[0], b!.workers[0]]],
    );
    expect(await counterDifferences()).toEqual({ assignments: [], completions: [] });
    const [moved] = await sql.query<{ started: number; due: number }>(
      `SELECT (SELECT sum(in_progress) FROM training_assignment_counts WHERE tenant_id = $1)::int AS started,
              (SELECT count(*) FROM training_assignment_due_counts WHERE tenant_id = $2)::int AS due`,
      [a!.tenant, b!.tenant],
    );
    expect(moved).toEqual({ started: 1, due: 0 });
  });
});

describe.runIf(onPostgres)('analytics counters under concurrent writers (PostgreSQL)', () => {
  it('concurrent bulk inserts, starts, completions and sweeps on shared buckets: no deadlock, counters exact', async () => {
    const world = await makeWorld();
    // More workers, so many statements touch the same (course, status, due date) buckets.
    const extra = await sql.query<{ id: string }>(
      `INSERT INTO profiles (id, tenant_id, role) SELECT gen_random_uuid(), $1::uuid, 'worker'
       FROM generate_series(1, 30) RETURNING id::text`,
      [world.tenant],
    );
    world.workers.push(...extra.map((row) => row.id));
    // Single-row writes, bulk inserts, completions (two statements) and the sweep. Left out:
    // owner deletes and tenant-wide UPDATEs, which can deadlock on the rows themselves
    // (arbitrary row order), counters or not.
    const concurrent = new Set<Op['kind']>(['assign', 'bulkAssign', 'start', 'complete', 'cancel', 'sweep', 'moveDue']);
    const ops = fc.sample(
      opArb.filter((op) => concurrent.has(op.kind)),
      { numRuns: 240, seed: 42 },
    );
    const lanes = 8;
    await Promise.all(
      Array.from({ length: lanes }, async (_, lane) => {
        for (let i = lane; i < ops.length; i += lanes) await run(world, ops[i]!);
      }),
    );
    const [done] = await sql.query<{ assignments: number; completions: number }>(
      `SELECT (SELECT count(*) FROM training_assignments WHERE tenant_id = $1)::int AS assignments,
              (SELECT count(*) FROM training_completions WHERE tenant_id = $1)::int AS completions`,
      [world.tenant],
    );
    expect(done!.assignments).toBeGreaterThan(50);
    expect(done!.completions).toBeGreaterThan(0);
    expect(await counterDifferences()).toEqual({ assignments: [], completions: [] });
    await expectFiguresAgree(world);
  }, 300_000);
});
