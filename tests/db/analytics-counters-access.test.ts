import { beforeAll, describe, expect, it } from 'vitest';
import { type Caller } from '../../src/core/caller/index.js';
import { asCaller, attempt, uuid } from '../support/sql.js';
import { onCitus } from '../support/citus.js';
import {
  db,
  sql,
  type World,
  makeWorld,
  workerOf,
  run,
  counterDifferences,
  useCountersDatabase,
} from './analytics-counters-world.js';

/** Who may read and write the analytics counters (RLS, privileges). */

useCountersDatabase();

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
    [
      'INSERT',
      `INSERT INTO training_assignment_counts (tenant_id, course_id, assigned) VALUES ($1::uuid, gen_random_uuid(), 1000)`,
    ],
    ['UPDATE', `UPDATE training_assignment_counts SET assigned = assigned + 1000 WHERE tenant_id = $1::uuid`],
    ['DELETE', `DELETE FROM training_assignment_counts WHERE tenant_id = $1::uuid`],
    [
      'INSERT',
      `INSERT INTO training_assignment_due_counts (tenant_id, due_date, course_id, assigned)
       VALUES ($1::uuid, current_date, gen_random_uuid(), 1000)`,
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
    // The Citus set-up lets the functions' owners log in: Citus opens its connections to the workers as them.
    expect(role).toEqual({ login: onCitus, superuser: false, bypass: false });
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
       WHERE proname IN ('training_assignment_counts_apply', 'training_completion_counts_apply', 'training_counts_truncate',
                         'training_counts_flush', 'training_counts_flush_pending', 'training_counts_delete_emptied')
       ORDER BY proname`,
    );
    expect(owners).toEqual([
      { proname: 'training_assignment_counts_apply', owner: 'training_counter', definer: true },
      { proname: 'training_completion_counts_apply', owner: 'training_counter', definer: true },
      { proname: 'training_counts_delete_emptied', owner: 'training_counter', definer: true },
      { proname: 'training_counts_flush', owner: 'training_counter', definer: true },
      { proname: 'training_counts_flush_pending', owner: 'training_counter', definer: true },
      { proname: 'training_counts_truncate', owner: 'training_counter', definer: true },
    ]);
    // A request may not write pending deltas into the counters itself, nor delete counter rows.
    const [call] = await sql.query<{ flush: boolean; delete: boolean }>(
      `SELECT has_function_privilege('training_app', 'training_counts_flush_pending()', 'EXECUTE') AS flush,
              has_function_privilege('training_app', 'training_counts_delete_emptied(uuid, uuid[], date[], uuid[], uuid[])',
                                     'EXECUTE') AS delete`,
    );
    expect(call).toEqual({ flush: false, delete: false });
  });

  it('refuses a second passed completion of one assignment (what makes averageScore a per-course sum)', async () => {
    const [done] = await sql.query<{ id: string; course_id: string; user_id: string }>(
      `SELECT a.id::text, a.course_id::text, a.user_id::text FROM training_assignments a
       JOIN training_completions c ON c.tenant_id = a.tenant_id AND c.assignment_id = a.id AND c.passed
       WHERE a.tenant_id = $1 LIMIT 1`,
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
