import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AssignTrainingCourseDocument,
  CancelTrainingAssignmentDocument,
  CompleteTrainingAssignmentDocument,
  CreateTrainingCourseDocument,
  MeDocument,
  StartTrainingAssignmentDocument,
  SweepOverdueTrainingAssignmentsDocument,
  TrainingAnalyticsDocument,
  type CourseCategory,
  type TrainingAnalyticsQuery,
} from '../../src/generated/operations/graphql.js';
import { dayFromToday, errorCode, ok, startTestServer, type Actor, type TestServer } from '../support/server.js';

/**
 * `trainingAnalytics` checked figure by figure against
 * values computed by hand for a small data set built through the API.
 *
 * Tenant T: 3 courses in 2 categories, 4 workers, 8 assignments:
 *
 *   #  course              user  what happened                              effective status
 *   1  Ladder Safety (SF)  W1    completed, 30 min, score 80 (due date past) completed
 *   2  Ladder Safety (SF)  W2    completed, 45 min, score 90                 completed
 *   3  Forklift (ES)       W2    completed, 60 min, score 70                 completed
 *   4  Lockout (SF)        W1    failed attempt, 90 min, score 40            assigned
 *   5  Lockout (SF)        W2    started                                     in_progress
 *   6  Forklift (ES)       W1    started                                     in_progress
 *   7  Ladder Safety (SF)  W3    due date moved into the past, not swept     overdue
 *   8  Lockout (SF)        W3    cancelled (due date past)                   cancelled
 *
 * W4 has nothing. SF = SAFETY_FUNDAMENTALS, ES = EQUIPMENT_SAFETY.
 * Another tenant O has rows of its own that must never be counted in T.
 */

let server: TestServer;
let admin: Actor;
let officer: Actor;
let service: Actor;
const workers: Actor[] = [];
const course: Record<'ladder' | 'lockout' | 'forklift', string> = { ladder: '', lockout: '', forklift: '' };
const assignment: string[] = [];
let otherAdmin: Actor;
let otherWorker: Actor;
/** Every SQL statement Prisma sends (to count transactions per request). */
const statements: string[] = [];

async function createCourse(by: Actor, title: string, category: CourseCategory) {
  return (await ok(by.request(CreateTrainingCourseDocument, { input: { title, category } }))).createTrainingCourse.id;
}

async function assign(by: Actor, courseId: string, worker: Actor, dueDate = dayFromToday(14)) {
  const { assignTrainingCourse } = await ok(
    by.request(AssignTrainingCourseDocument, { input: { courseId, userId: worker.userId, dueDate } }),
  );
  return assignTrainingCourse.id;
}

async function startAndComplete(
  worker: Actor,
  assignmentId: string,
  attempt?: { minutes: number; score: number; passed?: boolean },
) {
  await ok(worker.request(StartTrainingAssignmentDocument, { assignmentId }));
  if (!attempt) return;
  await ok(
    worker.request(CompleteTrainingAssignmentDocument, {
      input: {
        assignmentId,
        score: attempt.score,
        passed: attempt.passed ?? true,
        completionTimeMinutes: attempt.minutes,
      },
    }),
  );
}

async function movePastDue(ids: string[], daysAgo = 4) {
  await server.owner.query(
    `UPDATE training_assignments SET due_date = training_today() - $2::int WHERE id = ANY($1::uuid[])`,
    [ids, daysAgo],
  );
}

async function analytics(actor: Actor): Promise<TrainingAnalyticsQuery['trainingAnalytics']> {
  return (await ok(actor.request(TrainingAnalyticsDocument))).trainingAnalytics;
}

/** byCourse keyed by course title, for readable expectations. */
function byTitle(figures: TrainingAnalyticsQuery['trainingAnalytics']) {
  return Object.fromEntries(figures.byCourse.map(({ course: c, ...rest }) => [c.title, rest]));
}

const statusCounts = (counts: Partial<Record<string, number>>) =>
  (['ASSIGNED', 'IN_PROGRESS', 'COMPLETED', 'OVERDUE', 'CANCELLED'] as const).map((status) => ({
    status,
    count: counts[status] ?? 0,
  }));

beforeAll(async () => {
  server = await startTestServer({}, { onQuery: (sql) => statements.push(sql) });
  admin = await server.actor('admin');
  const tenantId = admin.tenantId;
  officer = await server.actor('safety_officer', { tenantId });
  service = await server.actor('service', { tenantId });
  for (let i = 1; i <= 4; i++) workers.push(await server.actor('worker', { tenantId, name: `Worker ${i}` }));
  for (const actor of [officer, ...workers]) await ok(actor.request('{ me { id } }')); // profiles on first use
  const [w1, w2, w3] = workers as [Actor, Actor, Actor];

  course.ladder = await createCourse(admin, 'Ladder Safety', 'SAFETY_FUNDAMENTALS');
  course.lockout = await createCourse(officer, 'Lockout Tagout', 'SAFETY_FUNDAMENTALS');
  course.forklift = await createCourse(admin, 'Forklift Operation', 'EQUIPMENT_SAFETY');

  assignment.push(await assign(admin, course.ladder, w1)); // 1
  assignment.push(await assign(admin, course.ladder, w2)); // 2
  assignment.push(await assign(officer, course.forklift, w2)); // 3
  assignment.push(await assign(admin, course.lockout, w1)); // 4
  assignment.push(await assign(admin, course.lockout, w2)); // 5
  assignment.push(await assign(officer, course.forklift, w1)); // 6
  assignment.push(await assign(admin, course.ladder, w3)); // 7
  assignment.push(await assign(admin, course.lockout, w3)); // 8
  const [a1, a2, a3, a4, a5, a6, a7, a8] = assignment as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  await startAndComplete(w1, a1, { minutes: 30, score: 80 });
  await startAndComplete(w2, a2, { minutes: 45, score: 90 });
  await startAndComplete(w2, a3, { minutes: 60, score: 70 });
  await startAndComplete(w1, a4, { minutes: 90, score: 40, passed: false });
  await startAndComplete(w2, a5);
  await startAndComplete(w1, a6);
  await ok(officer.request(CancelTrainingAssignmentDocument, { assignmentId: a8, reason: 'Changed role' }));
  // The API refuses past due dates: move them as the owner. Only #7 is active, so only
  // #7 is overdue; a completed or cancelled assignment past its due date is not.
  await movePastDue([a1, a7, a8]);

  // Another tenant with rows of its own: 1 course, 2 assignments (one completed in 10 minutes
  // with score 100, one overdue). Never to be counted in T.
  otherAdmin = await server.actor('admin');
  otherWorker = await server.actor('worker', { tenantId: otherAdmin.tenantId });
  await ok(otherWorker.request('{ me { id } }'));
  const otherCourse = await createCourse(otherAdmin, 'Other Tenant Ladder Safety', 'SAFETY_FUNDAMENTALS');
  const otherCourse2 = await createCourse(otherAdmin, 'Other Tenant Forklift', 'EQUIPMENT_SAFETY');
  await startAndComplete(otherWorker, await assign(otherAdmin, otherCourse, otherWorker), { minutes: 10, score: 100 });
  await movePastDue([await assign(otherAdmin, otherCourse2, otherWorker)]);
}, 120_000);

afterAll(() => server?.stop());

describe('trainingAnalytics for the tenant (admin, safety officer)', () => {
  it('gives the seven headline figures computed by hand', async () => {
    const figures = await analytics(admin);
    expect({
      totalCourses: figures.totalCourses,
      totalAssignments: figures.totalAssignments,
      completedCount: figures.completedCount,
      inProgressCount: figures.inProgressCount,
      overdueCount: figures.overdueCount,
      completionRate: figures.completionRate,
      avgCompletionTime: figures.avgCompletionTime,
    }).toEqual({
      totalCourses: 3,
      totalAssignments: 7, // 8 minus the cancelled one
      completedCount: 3,
      inProgressCount: 2,
      overdueCount: 1, // effective: #7 was never swept
      completionRate: 42.86, // 3 / 7
      avgCompletionTime: 45, // (30 + 45 + 60) / 3; the failed 90-minute attempt does not count
    });
  });

  it('agrees with the SQL function get_training_analytics', async () => {
    const figures = await analytics(officer);
    const [sql] = await server.owner.query<Record<string, number>>(
      `SELECT total_courses::int, total_assignments::int, completed_count::int, in_progress_count::int,
              overdue_count::int, completion_rate::float8, avg_completion_time::float8
       FROM get_training_analytics($1)`,
      [admin.tenantId],
    );
    expect(sql).toEqual({
      total_courses: figures.totalCourses,
      total_assignments: figures.totalAssignments,
      completed_count: figures.completedCount,
      in_progress_count: figures.inProgressCount,
      overdue_count: figures.overdueCount,
      completion_rate: figures.completionRate,
      avg_completion_time: figures.avgCompletionTime,
    });
  });

  it('counts every one of the five statuses, cancelled included', async () => {
    expect((await analytics(admin)).byStatus).toEqual(
      statusCounts({ ASSIGNED: 1, IN_PROGRESS: 2, COMPLETED: 3, OVERDUE: 1, CANCELLED: 1 }),
    );
  });

  it('breaks the figures down by category (cancelled excluded)', async () => {
    const { byCategory } = await analytics(admin);
    expect(byCategory).toHaveLength(2);
    expect(byCategory).toEqual(
      expect.arrayContaining([
        {
          category: 'SAFETY_FUNDAMENTALS', // #1 #2 #7 (ladder), #4 #5 (lockout); #8 cancelled
          assignments: 5,
          completed: 2,
          inProgress: 1,
          overdue: 1,
          completionRate: 40,
          averageScore: 85, // (80 + 90) / 2; the failed 40 is no passed completion
        },
        {
          category: 'EQUIPMENT_SAFETY', // #3 #6
          assignments: 2,
          completed: 1,
          inProgress: 1,
          overdue: 0,
          completionRate: 50,
          averageScore: 70,
        },
      ]),
    );
  });

  it('breaks the figures down by course, most assignments first', async () => {
    const figures = await analytics(admin);
    expect(byTitle(figures)).toEqual({
      'Ladder Safety': {
        assignments: 3,
        completed: 2,
        inProgress: 0,
        overdue: 1,
        completionRate: 66.67,
        averageScore: 85,
      },
      'Lockout Tagout': {
        assignments: 2,
        completed: 0,
        inProgress: 1,
        overdue: 0,
        completionRate: 0,
        averageScore: null, // only a failed attempt
      },
      'Forklift Operation': {
        assignments: 2,
        completed: 1,
        inProgress: 1,
        overdue: 0,
        completionRate: 50,
        averageScore: 70,
      },
    });
    expect(figures.byCourse[0]!.course.title).toBe('Ladder Safety');
    const counts = figures.byCourse.map((row) => row.assignments);
    expect(counts).toEqual([...counts].sort((x, y) => y - x));
  });

  it('orders byCourse by the assignments it reports, not by cancelled ones', async () => {
    // A tenant where course P has 1 live and 2 cancelled assignments, course Q 2 live ones:
    // Q (2) comes before P (1), whatever the ids.
    const boss = await server.actor('admin');
    const [u1, u2] = [
      await server.actor('worker', { tenantId: boss.tenantId }),
      await server.actor('worker', { tenantId: boss.tenantId }),
    ];
    for (const u of [u1, u2]) await ok(u.request('{ me { id } }'));
    const p = await createCourse(boss, 'P', 'OTHER');
    const q = await createCourse(boss, 'Q', 'OTHER');
    for (let i = 0; i < 2; i++) {
      const id = await assign(boss, p, u1);
      await ok(boss.request(CancelTrainingAssignmentDocument, { assignmentId: id }));
    }
    await assign(boss, p, u1);
    await assign(boss, q, u1);
    await assign(boss, q, u2);
    const { byCourse } = await analytics(boss);
    expect(byCourse.map((row) => [row.course.title, row.assignments])).toEqual([
      ['Q', 2],
      ['P', 1],
    ]);
  });

  it('lists the overdue assignments', async () => {
    const { overdueAssignments } = await analytics(admin);
    expect(overdueAssignments).toEqual([
      {
        id: assignment[6],
        dueDate: dayFromToday(-4),
        user: { id: workers[2]!.userId },
        course: { id: course.ladder, title: 'Ladder Safety' },
      },
    ]);
  });

  it('reads tenant-wide figures from counters that equal a recount of the rows the API wrote', async () => {
    const differing = await server.owner.query<{ n: number }>(
      `WITH recount AS (
         SELECT course_id, status, NULL::date AS due_date, count(*)::bigint AS n
         FROM training_assignments WHERE tenant_id = $1 GROUP BY 1, 2
         UNION ALL
         SELECT course_id, status, due_date, count(*)::bigint FROM training_assignments
         WHERE tenant_id = $1 AND status IN ('assigned', 'in_progress') AND due_date IS NOT NULL GROUP BY 1, 2, 3),
       kept AS (SELECT course_id, status, NULL::date AS due_date, n FROM training_assignment_counts WHERE tenant_id = $1
                UNION ALL
                SELECT course_id, status, due_date, n FROM training_assignment_due_counts WHERE tenant_id = $1)
       SELECT count(*)::int AS n FROM ((TABLE recount EXCEPT TABLE kept) UNION ALL (TABLE kept EXCEPT TABLE recount)) d`,
      [admin.tenantId],
    );
    expect(differing).toEqual([{ n: 0 }]);
    const [passed] = await server.owner.query<{ passed: number; minutes: number; scores: number }>(
      `SELECT sum(passed_count)::int AS passed, sum(minutes_sum)::int AS minutes, sum(score_sum)::int AS scores
       FROM training_completion_counts WHERE tenant_id = $1`,
      [admin.tenantId],
    );
    expect(passed).toEqual({ passed: 3, minutes: 30 + 45 + 60, scores: 80 + 90 + 70 });
  });

  it('answers a request in a few transactions, with a statement timeout, whatever the number of courses', async () => {
    await analytics(admin); // the caller's profile is refreshed on first use only
    statements.length = 0;
    await analytics(admin);
    const transactions = statements.filter((sql) => sql.includes("set_config('role'"));
    // The figure groups (seven figures, byStatus, byCategory, byCourse) in one transaction; the
    // overdue list and the byCourse courses (one query for all rows) in one each at most (a
    // query's reads may also share one transaction).
    expect(transactions.length).toBeGreaterThanOrEqual(1);
    expect(transactions.length).toBeLessThanOrEqual(3);
    expect(statements.filter((sql) => sql.includes("set_config('statement_timeout'"))).not.toHaveLength(0);
  });

  it('lists the longest overdue first, stored or not, whatever their stored status, up to `first`', async () => {
    const boss = await server.actor('admin');
    const people = [];
    for (let i = 0; i < 3; i++) people.push(await server.actor('worker', { tenantId: boss.tenantId }));
    for (const u of people) await ok(u.request('{ me { id } }'));
    const courses = [];
    for (let i = 0; i < 3; i++) courses.push(await createCourse(boss, `Course ${i}`, 'OTHER'));
    const ids: string[] = [];
    for (const c of courses) for (const u of people) ids.push(await assign(boss, c, u));
    // Past due by 1–5 days (ties included), stored as assigned, in progress or overdue; one not past due.
    await server.owner.query(
      `UPDATE training_assignments a SET due_date = training_today() - 1 - (x.n % 5)::int,
              status = (ARRAY['assigned', 'in_progress', 'overdue'])[1 + x.n % 3]
       FROM unnest($1::uuid[]) WITH ORDINALITY AS x(id, n) WHERE a.id = x.id AND x.n < 9`,
      [ids],
    );
    const expected = await server.owner.query<{ id: string }>(
      `SELECT id::text FROM training_assignments
       WHERE tenant_id = $1 AND training_effective_status(status, due_date) = 'overdue'
       ORDER BY due_date, id`,
      [boss.tenantId],
    );
    expect(expected).toHaveLength(8);
    const list = async (first: number) =>
      (
        await ok(
          boss.request<{ trainingAnalytics: { overdueAssignments: { id: string }[] } }, { first: number }>(
            `query ($first: Int) { trainingAnalytics { overdueAssignments(first: $first) { id } } }`,
            { first },
          ),
        )
      ).trainingAnalytics.overdueAssignments.map((row) => row.id);
    expect(await list(20)).toEqual(expected.map((row) => row.id));
    expect(await list(3)).toEqual(expected.slice(0, 3).map((row) => row.id));
  });

  it('gives a safety officer the same figures as an admin', async () => {
    expect(await analytics(officer)).toEqual(await analytics(admin));
  });

  it('gives the same figures after the overdue sweep has stored what reads already computed', async () => {
    const before = await analytics(admin);
    const swept = await ok(admin.request(SweepOverdueTrainingAssignmentsDocument));
    expect(swept.sweepOverdueTrainingAssignments).toBe(1); // #7 only
    expect(await analytics(admin)).toEqual(before);
  });
});

describe('trainingAnalytics for a worker: their own progress only', () => {
  it('W1: #1 completed (30 min), #4 failed attempt (assigned), #6 in progress', async () => {
    const figures = await analytics(workers[0]!);
    expect(figures).toMatchObject({
      totalCourses: 3, // the tenant's catalogue, which every worker may read
      totalAssignments: 3,
      completedCount: 1,
      inProgressCount: 1,
      overdueCount: 0,
      completionRate: 33.33,
      avgCompletionTime: 30,
      byStatus: statusCounts({ ASSIGNED: 1, IN_PROGRESS: 1, COMPLETED: 1 }),
      overdueAssignments: [],
    });
    expect(figures.byCategory).toEqual(
      expect.arrayContaining([
        {
          category: 'SAFETY_FUNDAMENTALS',
          assignments: 2,
          completed: 1,
          inProgress: 0,
          overdue: 0,
          completionRate: 50,
          averageScore: 80,
        },
        {
          category: 'EQUIPMENT_SAFETY',
          assignments: 1,
          completed: 0,
          inProgress: 1,
          overdue: 0,
          completionRate: 0,
          averageScore: null,
        },
      ]),
    );
    expect(byTitle(figures)).toEqual({
      'Ladder Safety': {
        assignments: 1,
        completed: 1,
        inProgress: 0,
        overdue: 0,
        completionRate: 100,
        averageScore: 80,
      },
      'Lockout Tagout': {
        assignments: 1,
        completed: 0,
        inProgress: 0,
        overdue: 0,
        completionRate: 0,
        averageScore: null,
      },
      'Forklift Operation': {
        assignments: 1,
        completed: 0,
        inProgress: 1,
        overdue: 0,
        completionRate: 0,
        averageScore: null,
      },
    });
  });

  it('W2: #2 and #3 completed (45, 60 min), #5 in progress', async () => {
    expect(await analytics(workers[1]!)).toMatchObject({
      totalAssignments: 3,
      completedCount: 2,
      inProgressCount: 1,
      overdueCount: 0,
      completionRate: 66.67,
      avgCompletionTime: 52.5,
      byStatus: statusCounts({ IN_PROGRESS: 1, COMPLETED: 2 }),
    });
  });

  it('W3: #7 overdue and #8 cancelled; the overdue list is their own', async () => {
    const figures = await analytics(workers[2]!);
    expect(figures).toMatchObject({
      totalAssignments: 1,
      completedCount: 0,
      inProgressCount: 0,
      overdueCount: 1,
      completionRate: 0,
      avgCompletionTime: 0,
      byStatus: statusCounts({ OVERDUE: 1, CANCELLED: 1 }),
    });
    expect(figures.overdueAssignments.map((row) => row.id)).toEqual([assignment[6]]);
  });

  it('W4, with nothing assigned: zeros, never a division by zero', async () => {
    expect(await analytics(workers[3]!)).toMatchObject({
      totalAssignments: 0,
      completedCount: 0,
      completionRate: 0,
      avgCompletionTime: 0,
      byStatus: statusCounts({}),
      overdueAssignments: [],
    });
  });

  it('me { trainingProgress } gives a worker the same figures', async () => {
    const { me } = await ok(workers[1]!.request(MeDocument));
    expect(me.trainingProgress).toEqual({
      totalAssignments: 3,
      completedCount: 2,
      inProgressCount: 1,
      overdueCount: 0,
      completionRate: 66.67,
      avgCompletionTime: 52.5,
    });
    expect(me.trainingAssignments.totalCount).toBe(3);
  });
});

describe('trainingAnalytics: who may ask, and whose rows count', () => {
  it('refuses an integration (service role) with FORBIDDEN', async () => {
    const response = await service.request(TrainingAnalyticsDocument);
    expect(errorCode(response)).toBe('FORBIDDEN');
    expect(response.data ?? null).toBeNull();
    const progress = await service.request('{ me { trainingProgress { totalAssignments } } }');
    expect(errorCode(progress)).toBe('FORBIDDEN');
  });

  it("never counts another tenant's rows, in either direction", async () => {
    const other = await analytics(otherAdmin);
    expect(other).toMatchObject({
      totalCourses: 2,
      totalAssignments: 2,
      completedCount: 1,
      inProgressCount: 0,
      overdueCount: 1,
      completionRate: 50,
      avgCompletionTime: 10,
      byStatus: statusCounts({ COMPLETED: 1, OVERDUE: 1 }),
    });
    expect(other.byCourse.map((row) => row.course.title).sort()).toEqual([
      'Other Tenant Forklift',
      'Other Tenant Ladder Safety',
    ]);
    const mine = await analytics(admin);
    expect(mine.byCourse.map((row) => row.course.title)).not.toContain('Other Tenant Ladder Safety');
    expect(mine.overdueAssignments.every((row) => assignment.includes(row.id))).toBe(true);
    expect(mine.totalCourses).toBe(3);
    expect(mine.avgCompletionTime).toBe(45); // the other tenant's 10-minute completion is not in it
  });

  it('a tenant with no data gets zeros and empty breakdowns', async () => {
    const empty = await analytics(await server.actor('admin'));
    expect(empty).toEqual({
      totalCourses: 0,
      totalAssignments: 0,
      completedCount: 0,
      inProgressCount: 0,
      overdueCount: 0,
      completionRate: 0,
      avgCompletionTime: 0,
      byStatus: statusCounts({}),
      byCategory: [],
      byCourse: [],
      overdueAssignments: [],
    });
  });
});
