import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAsCaller, type Caller, type CallerTransaction } from '../../src/core/caller/index.js';
import { freshDatabase, onPostgres, type TestDatabase } from '../support/database.js';
import { asCaller, attempt, owner, sqlError, uuid } from '../support/sql.js';
import {
  ASSIGNMENT_COUNTER_DIFFERENCES,
  COMPLETION_COUNTER_DIFFERENCES,
  RECOUNT_FIGURES,
} from '../support/analytics.js';

/**
 * The analytics counters (migration 20261125000400_analytics_counters) against the rows
 * they count. Tenant-wide analytics read training_assignment_counts,
 * training_assignment_due_counts and training_completion_counts instead of scanning the tenant's assignments, so they are only
 * "correct to the row" if every write keeps them equal to a recount: a random sequence of
 * the writes the system makes (assignments as training_app, bulk auto-assign inserts, start,
 * passed and failed completions, cancel, the overdue sweep, due dates moved around today,
 * completion edits, owner deletes and cascades, rolled-back writes) must leave them equal to
 * a recount from the base tables, with no empty bucket left behind; and the seven figures
 * from the counters must equal the figures recounted from the rows. Plus who may read and
 * write the counters (RLS, privileges).
 */

let db: TestDatabase;
let sql: ReturnType<typeof owner>;

interface World {
  tenant: string;
  admin: Caller;
  service: Caller;
  workers: string[];
  courses: string[];
}

const CATEGORIES = ['safety_fundamentals', 'equipment_safety', 'compliance'];

async function makeWorld(): Promise<World> {
  const tenant = uuid();
  const adminId = uuid();
  const serviceId = uuid();
  const workers = [uuid(), uuid(), uuid()];
  await sql.query(
    `INSERT INTO profiles (id, tenant_id, role)
     SELECT id, $1::uuid, role FROM unnest($2::uuid[], $3::text[]) AS p(id, role)`,
    [tenant, [adminId, serviceId, ...workers], ['admin', 'service', 'worker', 'worker', 'worker']],
  );
  const courses = await sql.query<{ id: string }>(
    `INSERT INTO training_courses (tenant_id, title, category, created_by)
     SELECT $1::uuid, 'Course ' || n, ($3::text[])[n], $2::uuid FROM generate_series(1, 3) n
     RETURNING id::text`,
    [tenant, adminId, CATEGORIES],
  );
  return {
    tenant,
    admin: { tenantId: tenant, userId: adminId, role: 'admin' },
    service: { tenantId: tenant, userId: serviceId, role: 'service' },
    workers,
    courses: courses.map((row) => row.id),
  };
}

const workerOf = (world: World, userId: string): Caller => ({ tenantId: world.tenant, userId, role: 'worker' });

/** Runs statements as `caller` under RLS and commits; a refused write (SQL error) changes nothing. */
async function as(caller: Caller, fn: (tx: CallerTransaction) => Promise<unknown>): Promise<void> {
  try {
    await runAsCaller(db.prisma, caller, fn);
  } catch (error) {
    const { code, message } = sqlError(error);
    // Refusals the operations may legitimately meet (a second passed completion of one
    // assignment; a course or user deleted earlier in the sequence); anything else is a bug.
    if (!['23505', '23503'].includes(code ?? '')) throw new Error(`${code}: ${message}`, { cause: error });
  }
}

/** The n-th (mod count) assignment or completion of a tenant, in id order. */
async function pick(table: 'training_assignments' | 'training_completions', world: World, n: number) {
  const rows = await sql.query<{ id: string; user_id: string }>(
    `SELECT id::text, user_id::text FROM ${table} WHERE tenant_id = $1 ORDER BY id`,
    [world.tenant],
  );
  return rows.length ? rows[n % rows.length]! : undefined;
}

type Op =
  | { kind: 'assign'; course: number; worker: number; due: number | null }
  | { kind: 'bulkAssign'; due: number | null }
  | { kind: 'start'; n: number }
  | { kind: 'complete'; n: number; passed: boolean; score: number | null; minutes: number | null }
  | { kind: 'cancel'; n: number }
  | { kind: 'sweep' }
  | { kind: 'moveDue'; n: number; due: number | null }
  | { kind: 'shiftAllDue'; days: number }
  | { kind: 'editCompletion'; n: number; score: number | null; minutes: number | null; flip: boolean }
  | { kind: 'deleteAssignment'; n: number }
  | { kind: 'deleteCompletion'; n: number }
  | { kind: 'deleteCourse'; course: number }
  | { kind: 'deleteWorker'; worker: number }
  | { kind: 'rolledBack'; course: number; worker: number };

/** Due dates around today: the days where "overdue" flips. */
const due = fc.option(fc.integer({ min: -3, max: 3 }), { nil: null });
const score = fc.option(fc.integer({ min: 0, max: 100 }), { nil: null });
const minutes = fc.option(fc.integer({ min: 1, max: 240 }), { nil: null });
const n = fc.nat(1000);

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('assign' as const), course: n, worker: n, due }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('bulkAssign' as const), due }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('start' as const), n }) },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('complete' as const), n, passed: fc.boolean(), score, minutes }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('cancel' as const), n }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('sweep' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('moveDue' as const), n, due }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('shiftAllDue' as const), days: fc.integer({ min: -2, max: 2 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('editCompletion' as const), n, score, minutes, flip: fc.boolean() }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteAssignment' as const), n }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteCompletion' as const), n }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteCourse' as const), course: n }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteWorker' as const), worker: n }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('rolledBack' as const), course: n, worker: n }) },
);

const ACTIVE = `('assigned', 'in_progress', 'overdue')`;

/** One operation, as the API (or an integration, or the owner) would do it. */
async function run(world: World, op: Op): Promise<void> {
  const course = (i: number) => world.courses[i % world.courses.length]!;
  const worker = (i: number) => world.workers[i % world.workers.length]!;
  switch (op.kind) {
    case 'assign':
      return as(world.admin, (tx) =>
        tx.$executeRawUnsafe(
          `INSERT INTO training_assignments (tenant_id, course_id, user_id, assigned_by, due_date)
           VALUES ($1::uuid, $2::uuid, $3::uuid, $4::uuid, training_today() + $5::int)
           ON CONFLICT (tenant_id, course_id, user_id) WHERE status IN ${ACTIVE} DO NOTHING`,
          world.tenant,
          course(op.course),
          worker(op.worker),
          world.admin.userId,
          op.due,
        ),
      );
    case 'bulkAssign':
      // As auto-assignment does it: one set-based INSERT … SELECT, skipping active ones.
      return as(world.service, (tx) =>
        tx.$executeRawUnsafe(
          `INSERT INTO training_assignments (tenant_id, course_id, user_id, assignment_type, assignment_reason, due_date)
           SELECT $1::uuid, c.id, p.id, 'risk_based', 'High risk score', training_today() + $2::int
           FROM training_courses c CROSS JOIN profiles p
           WHERE c.tenant_id = $1::uuid AND p.tenant_id = $1::uuid AND p.role = 'worker'
           ORDER BY c.id, p.id
           ON CONFLICT (tenant_id, course_id, user_id) WHERE status IN ${ACTIVE} DO NOTHING`,
          world.tenant,
          op.due,
        ),
      );
    case 'start': {
      const row = await pick('training_assignments', world, op.n);
      if (!row) return;
      return as(workerOf(world, row.user_id), (tx) =>
        tx.$executeRawUnsafe(
          `UPDATE training_assignments SET status = 'in_progress', started_at = now()
           WHERE id = $1::uuid AND status IN ('assigned', 'overdue') AND started_at IS NULL`,
          row.id,
        ),
      );
    }
    case 'complete': {
      const row = await pick('training_assignments', world, op.n);
      if (!row) return;
      // As completeTrainingAssignment: the assignment's new state and the attempt, in one transaction.
      return as(workerOf(world, row.user_id), async (tx) => {
        const updated = await tx.$queryRawUnsafe<{ course_id: string }[]>(
          `UPDATE training_assignments
           SET status = CASE WHEN $2 THEN 'completed' ELSE 'assigned' END,
               completed_at = CASE WHEN $2 THEN now() END,
               started_at = CASE WHEN $2 THEN started_at END
           WHERE id = $1::uuid AND status IN ('in_progress', 'overdue') AND started_at IS NOT NULL
           RETURNING course_id::text`,
          row.id,
          op.passed,
        );
        if (!updated.length) return;
        await tx.$executeRawUnsafe(
          `INSERT INTO training_completions (tenant_id, assignment_id, course_id, user_id, score, passed, completion_time_minutes)
           VALUES ($1::uuid, $2::uuid, $3::uuid, $4::uuid, $5::numeric, $6, $7::int)`,
          world.tenant,
          row.id,
          updated[0]!.course_id,
          row.user_id,
          op.score,
          op.passed,
          op.minutes,
        );
      });
    }
    case 'cancel': {
      const row = await pick('training_assignments', world, op.n);
      if (!row) return;
      return as(world.admin, (tx) =>
        tx.$executeRawUnsafe(
          `UPDATE training_assignments SET status = 'cancelled', cancelled_at = now(), cancelled_by = $2::uuid
           WHERE id = $1::uuid AND status IN ${ACTIVE}`,
          row.id,
          world.admin.userId,
        ),
      );
    }
    case 'sweep':
      return as(world.service, (tx) => tx.$queryRawUnsafe(`SELECT mark_overdue_training_assignments()::int AS n`));
    case 'moveDue': {
      const row = await pick('training_assignments', world, op.n);
      if (!row) return;
      return as(world.admin, (tx) =>
        tx.$executeRawUnsafe(
          `UPDATE training_assignments SET due_date = training_today() + $2::int WHERE id = $1::uuid`,
          row.id,
          op.due,
        ),
      );
    }
    case 'shiftAllDue':
      // One statement moving many rows between buckets.
      return as(world.admin, (tx) =>
        tx.$executeRawUnsafe(
          `UPDATE training_assignments SET due_date = due_date + $2::int WHERE tenant_id = $1::uuid`,
          world.tenant,
          op.days,
        ),
      );
    case 'editCompletion': {
      const row = await pick('training_completions', world, op.n);
      if (!row) return;
      // An admin correcting an attempt (a second passed one per assignment is refused: 23505).
      return as(world.admin, (tx) =>
        tx.$executeRawUnsafe(
          `UPDATE training_completions
           SET score = $2::numeric, completion_time_minutes = $3::int, passed = passed <> $4
           WHERE id = $1::uuid`,
          row.id,
          op.score,
          op.minutes,
          op.flip,
        ),
      );
    }
    case 'deleteAssignment': {
      const row = await pick('training_assignments', world, op.n);
      if (row) await sql.query(`DELETE FROM training_assignments WHERE id = $1`, [row.id]); // cascades to completions
      return;
    }
    case 'deleteCompletion': {
      const row = await pick('training_completions', world, op.n);
      if (row) await sql.query(`DELETE FROM training_completions WHERE id = $1`, [row.id]);
      return;
    }
    case 'deleteCourse':
      // Cascades to the course's assignments and completions (two cascaded DELETE statements).
      await sql.query(`DELETE FROM training_courses WHERE id = $1`, [course(op.course)]);
      return;
    case 'deleteWorker':
      await sql.query(`DELETE FROM profiles WHERE tenant_id = $1 AND id = $2`, [world.tenant, worker(op.worker)]);
      return;
    case 'rolledBack': {
      // Writes that roll back leave no trace in the counters either.
      const outcome = await attempt(db, world.admin, async (tx) => {
        await tx.$executeRawUnsafe(
          `INSERT INTO training_assignments (tenant_id, course_id, user_id, due_date)
           VALUES ($1::uuid, $2::uuid, $3::uuid, training_today() - 1)
           ON CONFLICT (tenant_id, course_id, user_id) WHERE status IN ${ACTIVE} DO NOTHING`,
          world.tenant,
          course(op.course),
          worker(op.worker),
        );
        return tx.$executeRawUnsafe(
          `UPDATE training_assignments SET status = 'cancelled' WHERE tenant_id = $1::uuid`,
          world.tenant,
        );
      });
      if (!outcome.ok && !['23503'].includes(outcome.code ?? '')) throw new Error(outcome.message);
      return;
    }
  }
}

/** Buckets that differ between the counters and a recount of the rows (both directions), for every tenant. */
async function counterDifferences() {
  const assignments = await sql.query(ASSIGNMENT_COUNTER_DIFFERENCES);
  const completions = await sql.query(COMPLETION_COUNTER_DIFFERENCES);
  return { assignments, completions };
}

const FUNCTION_FIGURES = `
  SELECT total_courses::int, total_assignments::int, completed_count::int, in_progress_count::int,
         overdue_count::int, completion_rate::float8, avg_completion_time::float8
  FROM get_training_analytics($1::uuid)`;

async function expectFiguresAgree(world: World, caller: Caller = world.admin) {
  const [fromCounters] = await asCaller(db, caller, FUNCTION_FIGURES, world.tenant);
  const [fromRows] = await asCaller(db, caller, RECOUNT_FIGURES, world.tenant);
  expect(fromCounters).toEqual(fromRows);
}

beforeAll(async () => {
  db = await freshDatabase();
  sql = owner(db);
});
afterAll(() => db?.drop());

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

  it('deletes a bucket when its count drops to zero', async () => {
    const world = await makeWorld();
    await run(world, { kind: 'bulkAssign', due: 2 });
    const buckets = async () => ({
      counts: await sql.query<{ n: number }>(`SELECT n::int FROM training_assignment_counts WHERE tenant_id = $1`, [
        world.tenant,
      ]),
      due: await sql.query<{ n: number }>(`SELECT n::int FROM training_assignment_due_counts WHERE tenant_id = $1`, [
        world.tenant,
      ]),
    });
    const perCourse = world.courses.map(() => ({ n: world.workers.length }));
    expect(await buckets()).toEqual({ counts: perCourse, due: perCourse });
    await run(world, { kind: 'shiftAllDue', days: 1 }); // every due bucket moves to the next day
    expect(await buckets()).toEqual({ counts: perCourse, due: perCourse });
    await sql.query(`DELETE FROM training_assignments WHERE tenant_id = $1`, [world.tenant]);
    expect(await buckets()).toEqual({ counts: [], due: [] });
  });
});

describe('who may read and write the counters', () => {
  let A: World;
  let B: World;
  beforeAll(async () => {
    A = await makeWorld();
    B = await makeWorld();
    for (const world of [A, B]) {
      await run(world, { kind: 'bulkAssign', due: 3 });
      await run(world, { kind: 'start', n: 1 });
      await run(world, { kind: 'complete', n: 1, passed: true, score: 80, minutes: 30 });
    }
  });

  const countsVisibleTo = async (caller: Caller) => {
    const [row] = await asCaller<{ assignments: number; due: number; completions: number }>(
      db,
      caller,
      `SELECT (SELECT count(*) FROM training_assignment_counts)::int AS assignments,
              (SELECT count(*) FROM training_assignment_due_counts)::int AS due,
              (SELECT count(*) FROM training_completion_counts)::int AS completions`,
    );
    return row;
  };

  it("the tenant's admin, safety officer and integration read its counters, and only its", async () => {
    const own = await sql.query<{ assignments: number; due: number; completions: number }>(
      `SELECT (SELECT count(*) FROM training_assignment_counts WHERE tenant_id = $1)::int AS assignments,
              (SELECT count(*) FROM training_assignment_due_counts WHERE tenant_id = $1)::int AS due,
              (SELECT count(*) FROM training_completion_counts WHERE tenant_id = $1)::int AS completions`,
      [A.tenant],
    );
    expect(own[0]!.assignments).toBeGreaterThan(0);
    expect(own[0]!.due).toBeGreaterThan(0);
    expect(own[0]!.completions).toBe(1);
    for (const role of ['admin', 'safety_officer', 'service'] as const) {
      expect(await countsVisibleTo({ tenantId: A.tenant, userId: uuid(), role }), role).toEqual(own[0]);
    }
  });

  it('a worker reads no counters (not even their tenant’s), nor does another tenant', async () => {
    expect(await countsVisibleTo(workerOf(A, A.workers[0]!))).toEqual({ assignments: 0, due: 0, completions: 0 });
    const [fromB] = await asCaller<{ n: number }>(
      db,
      B.admin,
      `SELECT (SELECT count(*) FROM training_assignment_counts WHERE tenant_id = $1::uuid)::int
              + (SELECT count(*) FROM training_assignment_due_counts WHERE tenant_id = $1::uuid)::int AS n`,
      A.tenant,
    );
    expect(fromB!.n).toBe(0);
    // …and gets no tenant figures out of get_training_analytics for another tenant either.
    const [figures] = await asCaller<{ total_assignments: number }>(
      db,
      B.admin,
      `SELECT total_assignments::int FROM get_training_analytics($1::uuid)`,
      A.tenant,
    );
    expect(figures!.total_assignments).toBe(0);
  });

  it.each([
    ['INSERT', `INSERT INTO training_assignment_counts VALUES ($1::uuid, gen_random_uuid(), 'assigned', 1000)`],
    ['UPDATE', `UPDATE training_assignment_counts SET n = n + 1000 WHERE tenant_id = $1::uuid`],
    ['DELETE', `DELETE FROM training_assignment_counts WHERE tenant_id = $1::uuid`],
    [
      'INSERT',
      `INSERT INTO training_assignment_due_counts VALUES ($1::uuid, current_date, gen_random_uuid(), 'assigned', 1000)`,
    ],
    ['UPDATE', `UPDATE training_assignment_due_counts SET due_date = due_date - 100 WHERE tenant_id = $1::uuid`],
    ['DELETE', `DELETE FROM training_assignment_due_counts WHERE tenant_id = $1::uuid`],
    ['INSERT', `INSERT INTO training_completion_counts VALUES ($1::uuid, gen_random_uuid(), 1, 1, 1, 100, 1)`],
    ['UPDATE', `UPDATE training_completion_counts SET passed_count = 0 WHERE tenant_id = $1::uuid`],
    ['DELETE', `DELETE FROM training_completion_counts WHERE tenant_id = $1::uuid`],
  ])('training_app may not %s the counters, whatever its role: %s', async (_verb, statement) => {
    for (const role of ['admin', 'safety_officer', 'service', 'worker'] as const) {
      const outcome = await attempt(db, { tenantId: A.tenant, userId: uuid(), role }, (tx) =>
        tx.$executeRawUnsafe(statement, A.tenant),
      );
      expect(outcome, role).toMatchObject({ ok: false, code: '42501' });
    }
    expect(await counterDifferences()).toEqual({ assignments: [], completions: [] });
  });

  it('the triggers run as training_counter, which cannot log in and may touch only the counters', async () => {
    const [role] = await sql.query<{ login: boolean; superuser: boolean; bypass: boolean }>(
      `SELECT rolcanlogin AS login, rolsuper AS superuser, rolbypassrls AS bypass FROM pg_roles
       WHERE rolname = 'training_counter'`,
    );
    expect(role).toEqual({ login: false, superuser: false, bypass: false });
    const [privileges] = await sql.query<Record<string, boolean>>(
      `SELECT has_table_privilege('training_counter', 'training_assignment_counts', 'INSERT, UPDATE, DELETE')
                AND has_table_privilege('training_counter', 'training_assignment_due_counts', 'INSERT, UPDATE, DELETE')
                AND has_table_privilege('training_counter', 'training_completion_counts', 'INSERT, UPDATE, DELETE') AS counters,
              has_table_privilege('training_counter', 'training_assignments', 'SELECT, INSERT, UPDATE, DELETE') AS assignments,
              has_table_privilege('training_counter', 'training_completions', 'SELECT, INSERT, UPDATE, DELETE') AS completions,
              has_table_privilege('training_counter', 'profiles', 'SELECT, INSERT, UPDATE, DELETE') AS profiles,
              has_schema_privilege('training_counter', 'public', 'CREATE') AS create_in_schema,
              has_table_privilege('training_app', 'training_assignment_counts', 'INSERT, UPDATE, DELETE, TRUNCATE')
                OR has_table_privilege('training_app', 'training_assignment_due_counts', 'INSERT, UPDATE, DELETE, TRUNCATE')
                OR has_table_privilege('training_app', 'training_completion_counts', 'INSERT, UPDATE, DELETE, TRUNCATE')
                AS app_writes,
              has_table_privilege('training_app', 'training_assignment_counts', 'SELECT') AS app_reads`,
    );
    expect(privileges).toEqual({
      counters: true,
      assignments: false,
      completions: false,
      profiles: false,
      create_in_schema: false,
      app_writes: false,
      app_reads: true,
    });
    const owners = await sql.query<{ proname: string; owner: string; definer: boolean }>(
      `SELECT proname, pg_get_userbyid(proowner) AS owner, prosecdef AS definer FROM pg_proc
       WHERE proname IN ('training_assignment_counts_apply', 'training_completion_counts_apply', 'training_counts_truncate')
       ORDER BY proname`,
    );
    expect(owners).toEqual([
      { proname: 'training_assignment_counts_apply', owner: 'training_counter', definer: true },
      { proname: 'training_completion_counts_apply', owner: 'training_counter', definer: true },
      { proname: 'training_counts_truncate', owner: 'training_counter', definer: true },
    ]);
  });

  it('refuses a second passed completion of one assignment (what makes averageScore a per-course sum)', async () => {
    const [done] = await sql.query<{ id: string; course_id: string; user_id: string }>(
      `SELECT a.id::text, a.course_id::text, a.user_id::text FROM training_assignments a
       JOIN training_completions c ON c.assignment_id = a.id AND c.passed WHERE a.tenant_id = $1 LIMIT 1`,
      [A.tenant],
    );
    const outcome = await attempt(db, A.admin, (tx) =>
      tx.$executeRawUnsafe(
        `INSERT INTO training_completions (tenant_id, assignment_id, course_id, user_id, score, passed)
         VALUES ($1::uuid, $2::uuid, $3::uuid, $4::uuid, 99, true)`,
        A.tenant,
        done!.id,
        done!.course_id,
        done!.user_id,
      ),
    );
    expect(outcome).toMatchObject({ ok: false, code: '23505' });
  });
});

describe('TRUNCATE (the owner only)', () => {
  it('empties the counters of the tables it empties, cascades included', async () => {
    const other = await freshDatabase();
    try {
      const saved = { db, sql };
      db = other;
      sql = owner(other);
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
        expect(Number(await total())).toBeGreaterThan(0);
        await sql.query('TRUNCATE training_assignments CASCADE'); // and training_completions with it
        expect(Number(await total())).toBe(0);
        await run(world, { kind: 'bulkAssign', due: 1 });
        expect(await counterDifferences()).toEqual({ assignments: [], completions: [] });
      } finally {
        ({ db, sql } = saved);
      }
    } finally {
      await other.drop();
    }
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
