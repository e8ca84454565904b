import fc from 'fast-check';
import { afterAll, beforeAll, expect } from 'vitest';
import { runAsCaller, type Caller, type CallerTransaction } from '../../src/core/caller/index.js';
import { asHarness } from '../support/statement-log.js';
import { freshDatabase, type TestDatabase } from '../support/database.js';
import { asCaller, attempt, owner, sqlError, uuid } from '../support/sql.js';
import {
  ASSIGNMENT_COUNTER_DIFFERENCES,
  COMPLETION_COUNTER_DIFFERENCES,
  RECOUNT_FIGURES,
} from '../support/analytics.js';

/**
 * Shared by the analytics-counters-*.test.ts files. The analytics counters (migration
 * 20261125000400_analytics_counters) against the rows they count. Tenant-wide analytics read
 * training_assignment_counts, training_assignment_due_counts and training_completion_counts instead of scanning
 * the tenant's assignments, so they are only "correct to the row" if every write keeps them equal to a recount:
 * a random sequence of the writes the system makes (assignments as training_app, bulk auto-assign inserts,
 * start, passed and failed completions, cancel, the overdue sweep, due dates moved around today, completion
 * edits, owner deletes and cascades, rolled-back writes) must leave them equal to a recount from the base
 * tables, with no empty bucket left behind; and the seven figures from the counters must equal the figures
 * recounted from the rows. Plus who may read and write the counters (RLS, privileges).
 */

export let db: TestDatabase;
export let sql: ReturnType<typeof owner>;

export interface World {
  tenant: string;
  admin: Caller;
  service: Caller;
  workers: string[];
  courses: string[];
}

const CATEGORIES = ['safety_fundamentals', 'equipment_safety', 'compliance'];

export async function makeWorld(): Promise<World> {
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

export const workerOf = (world: World, userId: string): Caller => ({ tenantId: world.tenant, userId, role: 'worker' });

/** Runs statements as `caller` under RLS and commits; a refused write (SQL error) changes nothing. */
export async function as(caller: Caller, fn: (tx: CallerTransaction) => Promise<unknown>): Promise<void> {
  try {
    await asHarness(() => runAsCaller(db.prisma, caller, fn));
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

export type Op =
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

export const opArb: fc.Arbitrary<Op> = fc.oneof(
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
export async function run(world: World, op: Op): Promise<void> {
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
           WHERE tenant_id = $2::uuid AND id = $1::uuid AND status IN ('assigned', 'overdue') AND started_at IS NULL`,
          row.id,
          world.tenant,
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
               completed_at = CASE WHEN $2 THEN $4::timestamptz END,
               started_at = CASE WHEN $2 THEN started_at END
           WHERE tenant_id = $3::uuid AND id = $1::uuid AND status IN ('in_progress', 'overdue') AND started_at IS NOT NULL
           RETURNING course_id::text`,
          row.id,
          op.passed,
          world.tenant,
          // A value, not now() in the CASE: Citus refuses a non-IMMUTABLE function there.
          new Date(),
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
           WHERE tenant_id = $3::uuid AND id = $1::uuid AND status IN ${ACTIVE}`,
          row.id,
          world.admin.userId,
          world.tenant,
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
          `UPDATE training_assignments SET due_date = training_today() + $2::int WHERE tenant_id = $3::uuid AND id = $1::uuid`,
          row.id,
          op.due,
          world.tenant,
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
           WHERE tenant_id = $5::uuid AND id = $1::uuid`,
          row.id,
          op.score,
          op.minutes,
          op.flip,
          world.tenant,
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
export async function counterDifferences() {
  const assignments = await sql.query(ASSIGNMENT_COUNTER_DIFFERENCES);
  const completions = await sql.query(COMPLETION_COUNTER_DIFFERENCES);
  return { assignments, completions };
}

const FUNCTION_FIGURES = `
  SELECT total_courses::int, total_assignments::int, completed_count::int, in_progress_count::int,
         overdue_count::int, completion_rate::float8, avg_completion_time::float8
  FROM get_training_analytics($1::uuid)`;

export async function expectFiguresAgree(world: World, caller: Caller = world.admin) {
  const [fromCounters] = await asCaller(db, caller, FUNCTION_FIGURES, world.tenant);
  const [fromRows] = await asCaller(db, caller, RECOUNT_FIGURES, world.tenant);
  expect(fromCounters).toEqual(fromRows);
}

/** Points the helpers here (makeWorld, run, counterDifferences…) at another database. */
export function switchDatabase(next: TestDatabase): void {
  db = next;
  sql = owner(next);
}

/** Makes a fresh migrated database for the file; call once at the top of a test file. */
export function useCountersDatabase(): void {
  beforeAll(async () => {
    db = await freshDatabase();
    sql = owner(db);
  });
  afterAll(() => db?.drop());
}
