import { describe, expect, it } from 'vitest';
import {
  CancelTrainingAssignmentDocument,
  SweepOverdueTrainingAssignmentsDocument,
} from '../../src/generated/operations/graphql.js';
import { dayFromToday, ok } from '../support/server.js';
import { appliesCallerSettings } from '../support/sql.js';
import {
  server,
  admin,
  officer,
  workers,
  course,
  assignment,
  statements,
  createCourse,
  assign,
  analytics,
  byTitle,
  statusCounts,
  useAnalyticsData,
} from './analytics-fixtures.js';

/** trainingAnalytics for a whole tenant, as an admin or a safety officer reads it (data set: analytics-fixtures.ts). */

useAnalyticsData();

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
       kept AS (SELECT k.course_id, s.status, NULL::date AS due_date, s.n FROM training_assignment_counts k
                CROSS JOIN LATERAL (VALUES ('assigned', k.assigned), ('in_progress', k.in_progress),
                                           ('completed', k.completed), ('overdue', k.overdue), ('cancelled', k.cancelled)) s(status, n)
                WHERE k.tenant_id = $1 AND s.n <> 0
                UNION ALL
                SELECT d.course_id, s.status, d.due_date, s.n FROM training_assignment_due_counts d
                CROSS JOIN LATERAL (VALUES ('assigned', d.assigned), ('in_progress', d.in_progress)) s(status, n)
                WHERE d.tenant_id = $1 AND s.n <> 0)
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
    const transactions = statements.filter(appliesCallerSettings);
    // The figure groups (seven figures, byStatus, byCategory, byCourse) in one transaction; the
    // overdue list and the byCourse courses (one query for all rows) in one each at most (a
    // query's reads may also share one transaction).
    expect(transactions.length).toBeGreaterThanOrEqual(1);
    expect(transactions.length).toBeLessThanOrEqual(3);
    expect(transactions.filter((sql) => /'statement_timeout', /.test(sql))).toEqual(transactions);
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
    // Past due by 1–5 days (ties included), stored as assigned, in progress or overdue; one not past due. A row at a
    // time: Citus 13.2.2's coordinator crashed (signal 11) on the same UPDATE as one join with unnest.
    for (const [index, id] of ids.slice(0, 8).entries()) {
      const n = index + 1;
      await server.owner.query(
        `UPDATE training_assignments SET due_date = training_today() - $1::int, status = $2
         WHERE tenant_id = $3 AND id = $4`,
        [1 + (n % 5), ['assigned', 'in_progress', 'overdue'][n % 3], boss.tenantId, id],
      );
    }
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
