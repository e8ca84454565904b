import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Caller } from '../../src/core/caller/index.js';
import { freshDatabase, type TestDatabase } from '../support/database.js';
import { asCaller, owner, uuid } from '../support/sql.js';

/**
 * The helper functions callable in SQL —
 * get_user_training_assignments(tenant, user, status) and
 * get_training_analytics(tenant) — plus the overdue sweep. "Overdue" is the
 * effective status: an assigned/in-progress assignment past its due date is
 * overdue even before the sweep has stored it (no stale status).
 */

let db: TestDatabase;
let sql: ReturnType<typeof owner>;

const tenant = uuid();
const otherTenant = uuid();
const admin = uuid();
const u1 = uuid();
const u2 = uuid();
const otherUser = uuid();
const course: Record<'fire' | 'audit' | 'hazards', string> = { fire: '', audit: '', hazards: '' };
type Key = 'a1' | 'a2' | 'a3' | 'a4' | 'a5' | 'a6' | 'a7';
const a = {} as Record<Key, string>;
let otherOverdue: string;

const adminCaller: Caller = { tenantId: tenant, userId: admin, role: 'admin' };
const workerCaller = (userId: string): Caller => ({ tenantId: tenant, userId, role: 'worker' });

/** An assignment due `dueInDays` from today (UTC, as the database counts it); null: no due date. */
async function assignment(t: string, courseId: string, user: string, status: string, dueInDays: number | null) {
  const [row] = await sql.query<{ id: string }>(
    `INSERT INTO training_assignments (tenant_id, course_id, user_id, status, due_date)
     VALUES ($1, $2, $3, $4, training_today() + $5::int) RETURNING id::text`,
    [t, courseId, user, status, dueInDays],
  );
  return row!.id;
}

async function completion(
  t: string,
  assignmentId: string,
  courseId: string,
  user: string,
  passed: boolean,
  minutes: number,
) {
  await sql.insert('training_completions', {
    tenant_id: t,
    assignment_id: assignmentId,
    course_id: courseId,
    user_id: user,
    score: passed ? 85 : 35,
    passed,
    completion_time_minutes: minutes,
  });
}

beforeAll(async () => {
  db = await freshDatabase();
  sql = owner(db);
  await sql.insert('profiles', { id: admin, tenant_id: tenant, role: 'admin' });
  await sql.insert('profiles', { id: u1, tenant_id: tenant, role: 'worker' });
  await sql.insert('profiles', { id: u2, tenant_id: tenant, role: 'worker' });
  await sql.insert('profiles', { id: otherUser, tenant_id: otherTenant, role: 'worker' });
  const newCourse = async (t: string, title: string, category: string, duration: number, by: string) =>
    (
      await sql.insert('training_courses', {
        tenant_id: t,
        title,
        category,
        duration_minutes: duration,
        created_by: by,
      })
    ).id as string;
  course.fire = await newCourse(tenant, 'Fire safety', 'emergency_response', 45, admin);
  course.audit = await newCourse(tenant, 'Site audit basics', 'compliance', 30, admin);
  course.hazards = await newCourse(tenant, 'Spotting hazards', 'hazard_awareness', 20, admin);

  // The known data set (today = D):
  //   a1 u1 fire    completed    due D+10   completion passed 30 min
  //   a2 u1 audit   in_progress  due D+5
  //   a3 u1 hazards assigned     due D-2    → effectively overdue
  //   a4 u2 fire    completed    due D+10   completions: failed 90 min, then passed 45 min
  //   a5 u2 audit   cancelled    due D-5    → stays cancelled (not active)
  //   a6 u2 hazards in_progress  due D-1    → effectively overdue
  //   a7 u2 audit   assigned     no due date
  a.a1 = await assignment(tenant, course.fire, u1, 'completed', 10);
  a.a2 = await assignment(tenant, course.audit, u1, 'in_progress', 5);
  a.a3 = await assignment(tenant, course.hazards, u1, 'assigned', -2);
  a.a4 = await assignment(tenant, course.fire, u2, 'completed', 10);
  a.a5 = await assignment(tenant, course.audit, u2, 'cancelled', -5);
  a.a6 = await assignment(tenant, course.hazards, u2, 'in_progress', -1);
  a.a7 = await assignment(tenant, course.audit, u2, 'assigned', null);
  await completion(tenant, a.a1, course.fire, u1, true, 30);
  await completion(tenant, a.a4, course.fire, u2, false, 90);
  await completion(tenant, a.a4, course.fire, u2, true, 45);

  // Another tenant's rows, which must never be counted: a completed one (1000 min) and an overdue one.
  const otherCourse = await newCourse(otherTenant, 'Other', 'other', 10, otherUser);
  const otherDone = await assignment(otherTenant, otherCourse, otherUser, 'completed', 3);
  await completion(otherTenant, otherDone, otherCourse, otherUser, true, 1000);
  otherOverdue = await assignment(otherTenant, otherCourse, otherUser, 'assigned', -3);
});
afterAll(() => db.drop());

interface Analytics {
  total_courses: number;
  total_assignments: number;
  completed_count: number;
  in_progress_count: number;
  overdue_count: number;
  completion_rate: string;
  avg_completion_time: string;
}

const ANALYTICS = `
  SELECT total_courses::int, total_assignments::int, completed_count::int, in_progress_count::int,
         overdue_count::int, completion_rate::text, avg_completion_time::text
  FROM get_training_analytics($1::uuid)`;

async function analytics(caller: Caller, forTenant = tenant): Promise<Analytics> {
  const [row] = await asCaller<Analytics>(db, caller, ANALYTICS, forTenant);
  return row!;
}

async function userAssignments(caller: Caller, user: string, status: string | null, forTenant = tenant) {
  return asCaller<{ id: string; status: string; course_title: string; due_date: Date | null }>(
    db,
    caller,
    `SELECT id::text, status, course_title, due_date FROM get_user_training_assignments($1::uuid, $2::uuid, $3::text)`,
    forTenant,
    user,
    status,
  );
}

const storedStatus = async (id: string) =>
  (await sql.query<{ status: string }>('SELECT status FROM training_assignments WHERE id = $1', [id]))[0]!.status;

describe('get_training_analytics(tenant)', () => {
  it('returns the seven figures of the known data set', async () => {
    // 3 courses; 6 assignments that are not cancelled (a5 is); completed a1, a4; in progress a2
    // (a6 is past due); overdue a3, a6. Rate 2 × 100 / 6 = 33.33; average of the passed
    // completions (30 + 45) / 2 = 37.50 — the failed 90-minute attempt does not count.
    expect(await analytics(adminCaller)).toEqual({
      total_courses: 3,
      total_assignments: 6,
      completed_count: 2,
      in_progress_count: 1,
      overdue_count: 2,
      completion_rate: '33.33',
      avg_completion_time: '37.50',
    });
  });

  it('counts only the calling worker’s own assignments and completions when called as a worker', async () => {
    // u1: a1 completed, a2 in progress, a3 overdue → 1 of 3 = 33.33 %, passed completion 30 min.
    expect(await analytics(workerCaller(u1))).toEqual({
      total_courses: 3,
      total_assignments: 3,
      completed_count: 1,
      in_progress_count: 1,
      overdue_count: 1,
      completion_rate: '33.33',
      avg_completion_time: '30.00',
    });
    // u2: a4 completed, a6 overdue, a7 assigned (a5 cancelled) → 1 of 3, passed completion 45 min.
    expect(await analytics(workerCaller(u2))).toMatchObject({
      total_assignments: 3,
      completed_count: 1,
      in_progress_count: 0,
      overdue_count: 1,
      avg_completion_time: '45.00',
    });
  });

  it('returns zeros for a tenant with no data, and for another tenant’s id under RLS', async () => {
    const zeros = {
      total_courses: 0,
      total_assignments: 0,
      completed_count: 0,
      in_progress_count: 0,
      overdue_count: 0,
    };
    const empty = await analytics(adminCaller, uuid());
    expect(empty).toMatchObject(zeros);
    expect([Number(empty.completion_rate), Number(empty.avg_completion_time)]).toEqual([0, 0]);
    expect(await analytics(adminCaller, otherTenant)).toMatchObject(zeros);
  });
});

describe('get_user_training_assignments(tenant, user, status)', () => {
  it('lists a user’s assignments with their effective status, soonest due first', async () => {
    expect(await userAssignments(adminCaller, u1, null)).toMatchObject([
      { id: a.a3, status: 'overdue', course_title: 'Spotting hazards' },
      { id: a.a2, status: 'in_progress', course_title: 'Site audit basics' },
      { id: a.a1, status: 'completed', course_title: 'Fire safety' },
    ]);
    expect((await userAssignments(adminCaller, u2, null)).map((r) => [r.id, r.status])).toEqual([
      [a.a5, 'cancelled'],
      [a.a6, 'overdue'],
      [a.a4, 'completed'],
      [a.a7, 'assigned'], // no due date: last
    ]);
  });

  it.each([
    ['u1', 'overdue', ['a3']],
    ['u1', 'assigned', []], // a3 is stored as assigned but is effectively overdue
    ['u1', 'in_progress', ['a2']],
    ['u1', 'completed', ['a1']],
    ['u2', 'overdue', ['a6']], // stored as in_progress
    ['u2', 'in_progress', []],
    ['u2', 'assigned', ['a7']],
    ['u2', 'cancelled', ['a5']],
  ] as [string, string, Key[]][])('filters %s by effective status %s', async (user, status, expected) => {
    const rows = await userAssignments(adminCaller, user === 'u1' ? u1 : u2, status);
    expect(rows.map((r) => r.id)).toEqual(expected.map((key) => a[key]));
  });

  it('returns nothing for the wrong tenant, or for another worker when called as a worker', async () => {
    expect(await userAssignments(adminCaller, u1, null, otherTenant)).toEqual([]);
    expect(await userAssignments(workerCaller(u1), u2, null)).toEqual([]);
    expect(await userAssignments(workerCaller(u1), u1, null)).toHaveLength(3);
  });
});

describe('mark_overdue_training_assignments()', () => {
  it('stores the overdue status of past-due active assignments and returns how many it changed', async () => {
    const before = await analytics(adminCaller);
    const sweep = (caller: Caller) =>
      asCaller<{ n: number }>(db, caller, 'SELECT mark_overdue_training_assignments()::int AS n').then((r) => r[0]!.n);
    const service: Caller = { tenantId: tenant, userId: uuid(), role: 'service' };

    expect(await sweep(service)).toBe(2);

    expect(await storedStatus(a.a3)).toBe('overdue');
    expect(await storedStatus(a.a6)).toBe('overdue');
    expect(await storedStatus(a.a5)).toBe('cancelled');
    expect(await storedStatus(a.a2)).toBe('in_progress');
    expect(await storedStatus(a.a7)).toBe('assigned');
    expect(await storedStatus(otherOverdue)).toBe('assigned'); // RLS kept the sweep inside the caller's tenant
    expect(await analytics(adminCaller)).toEqual(before); // reads already showed the effective status
    expect(await sweep(service)).toBe(0); // nothing left to do

    // Run by the owner (the scheduler's maintenance connection), it covers every tenant.
    const [row] = await sql.query<{ n: number }>('SELECT mark_overdue_training_assignments()::int AS n');
    expect(row!.n).toBe(1);
    expect(await storedStatus(otherOverdue)).toBe('overdue');
  });
});
