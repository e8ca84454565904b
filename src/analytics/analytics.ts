import { Prisma } from '../generated/prisma/client.js';
import { Assignment, AssignmentStatus, assertMayReadUser } from '../assignments/assignment.js';
import { ASSIGNMENT_STATUSES, effectiveStatusWhere, type AssignmentStatusValue } from '../assignments/status.js';
import { builder } from '../core/builder.js';
import type { Context } from '../core/context.js';
import { Course, CourseCategory, COURSE_CATEGORIES } from '../courses/course.js';
import { User } from '../users/user.js';

/**
 * Training analytics (SPEC §4): the original's seven figures plus breakdowns,
 * computed in SQL under the caller's RLS, so a worker's figures are their own.
 * Each figure group is one query, run only if the client asks for it.
 */

/** Whose figures: the tenant's, or one user's. */
interface AnalyticsScope {
  tenantId: string;
  userId: string | null;
}

interface Headline {
  total_courses: bigint;
  total_assignments: bigint;
  completed_count: bigint;
  in_progress_count: bigint;
  overdue_count: bigint;
  completion_rate: Prisma.Decimal;
  avg_completion_time: Prisma.Decimal;
}

interface Breakdown {
  assignments: bigint;
  completed: bigint;
  in_progress: bigint;
  overdue: bigint;
  avg_score: Prisma.Decimal | null;
}

const rate = (part: bigint, whole: bigint) =>
  whole === 0n ? 0 : Math.round((Number(part) * 10000) / Number(whole)) / 100;

/** The seven figures are shared by several fields of one Analytics object: fetch them once. */
const headlines = new WeakMap<AnalyticsScope, Promise<Headline>>();
function headline(scope: AnalyticsScope, context: Context): Promise<Headline> {
  let pending = headlines.get(scope);
  if (!pending) {
    pending = context.transaction(async (tx) => {
      const [row] = await tx.$queryRaw<[Headline]>`
        SELECT * FROM get_training_analytics(${scope.tenantId}::uuid, ${scope.userId}::uuid)`;
      return row;
    });
    headlines.set(scope, pending);
  }
  return pending;
}

const userFilter = (scope: AnalyticsScope) =>
  scope.userId ? Prisma.sql`AND a.user_id = ${scope.userId}::uuid` : Prisma.empty;

const NON_CANCELLED_COUNTS = Prisma.sql`
  count(*) FILTER (WHERE s.status <> 'cancelled') AS assignments,
  count(*) FILTER (WHERE s.status = 'completed') AS completed,
  count(*) FILTER (WHERE s.status = 'in_progress') AS in_progress,
  count(*) FILTER (WHERE s.status = 'overdue') AS overdue`;

interface BreakdownShape {
  assignments: number;
  completed: number;
  inProgress: number;
  overdue: number;
  completionRate: number;
  averageScore: number | null;
}

function toBreakdown(row: Breakdown): BreakdownShape {
  return {
    assignments: Number(row.assignments),
    completed: Number(row.completed),
    inProgress: Number(row.in_progress),
    overdue: Number(row.overdue),
    completionRate: rate(row.completed, row.assignments),
    averageScore: row.avg_score === null ? null : Number(row.avg_score),
  };
}

const CategoryAnalytics = builder.objectRef<BreakdownShape & { category: (typeof COURSE_CATEGORIES)[number] }>(
  'CategoryAnalytics',
);
CategoryAnalytics.implement({
  description: 'Figures for the courses of one category (cancelled assignments excluded).',
  fields: (t) => ({
    category: t.expose('category', { type: CourseCategory }),
    assignments: t.exposeInt('assignments'),
    completed: t.exposeInt('completed'),
    inProgress: t.exposeInt('inProgress'),
    overdue: t.exposeInt('overdue'),
    completionRate: t.exposeFloat('completionRate', { description: 'Percent, two decimals.' }),
    averageScore: t.exposeFloat('averageScore', { nullable: true }),
  }),
});

const CourseAnalytics = builder.objectRef<BreakdownShape & { courseId: string }>('CourseAnalytics');
CourseAnalytics.implement({
  description: 'Figures for one course (cancelled assignments excluded).',
  fields: (t) => ({
    course: t.prismaField({
      type: Course,
      resolve: (query, row, _args, context) =>
        context.db.trainingCourse.findUniqueOrThrow({ ...query, where: { id: row.courseId } }),
    }),
    assignments: t.exposeInt('assignments'),
    completed: t.exposeInt('completed'),
    inProgress: t.exposeInt('inProgress'),
    overdue: t.exposeInt('overdue'),
    completionRate: t.exposeFloat('completionRate', { description: 'Percent, two decimals.' }),
    averageScore: t.exposeFloat('averageScore', { nullable: true }),
  }),
});

const StatusCount = builder.objectRef<{ status: AssignmentStatusValue; count: number }>('StatusCount');
StatusCount.implement({
  fields: (t) => ({
    status: t.expose('status', { type: AssignmentStatus }),
    count: t.exposeInt('count'),
  }),
});

export const Analytics = builder.objectRef<AnalyticsScope>('Analytics');
Analytics.implement({
  description: 'Training figures for the tenant, or for one user (a worker always gets their own).',
  fields: (t) => ({
    totalCourses: t.int({ resolve: async (scope, _args, ctx) => Number((await headline(scope, ctx)).total_courses) }),
    totalAssignments: t.int({
      description: 'Assignments that are not cancelled.',
      resolve: async (scope, _args, ctx) => Number((await headline(scope, ctx)).total_assignments),
    }),
    completedCount: t.int({
      resolve: async (scope, _args, ctx) => Number((await headline(scope, ctx)).completed_count),
    }),
    inProgressCount: t.int({
      resolve: async (scope, _args, ctx) => Number((await headline(scope, ctx)).in_progress_count),
    }),
    overdueCount: t.int({ resolve: async (scope, _args, ctx) => Number((await headline(scope, ctx)).overdue_count) }),
    completionRate: t.float({
      description: 'Completed as a percentage of totalAssignments, two decimals.',
      resolve: async (scope, _args, ctx) => Number((await headline(scope, ctx)).completion_rate),
    }),
    avgCompletionTime: t.float({
      description: 'Mean minutes spent on passed completions (0 when none).',
      resolve: async (scope, _args, ctx) => Number((await headline(scope, ctx)).avg_completion_time),
    }),
    byStatus: t.field({
      type: [StatusCount],
      description: 'Every status with its count (effective status: overdue is computed).',
      resolve: (scope, _args, context) =>
        context.transaction(async (tx) => {
          const rows = await tx.$queryRaw<{ status: AssignmentStatusValue; count: bigint }[]>`
            SELECT training_effective_status(a.status, a.due_date) AS status, count(*) AS count
            FROM training_assignments a
            WHERE a.tenant_id = ${scope.tenantId}::uuid ${userFilter(scope)}
            GROUP BY 1`;
          const counts = new Map(rows.map((row) => [row.status, Number(row.count)]));
          return ASSIGNMENT_STATUSES.map((status) => ({ status, count: counts.get(status) ?? 0 }));
        }),
    }),
    byCategory: t.field({
      type: [CategoryAnalytics],
      description: 'Every category that has courses.',
      resolve: (scope, _args, context) =>
        context.transaction(async (tx) => {
          const rows = await tx.$queryRaw<(Breakdown & { category: (typeof COURSE_CATEGORIES)[number] })[]>`
            SELECT c.category, ${NON_CANCELLED_COUNTS},
                   round(avg(s.score), 2) AS avg_score
            FROM training_courses c
            LEFT JOIN LATERAL (
              SELECT training_effective_status(a.status, a.due_date) AS status,
                     (SELECT tc.score FROM training_completions tc
                      WHERE tc.tenant_id = a.tenant_id AND tc.assignment_id = a.id AND tc.passed
                      ORDER BY tc.completed_at DESC LIMIT 1) AS score
              FROM training_assignments a
              WHERE a.tenant_id = c.tenant_id AND a.course_id = c.id ${userFilter(scope)}
            ) s ON true
            WHERE c.tenant_id = ${scope.tenantId}::uuid
            GROUP BY c.category
            ORDER BY c.category`;
          return rows.map((row) => ({ category: row.category, ...toBreakdown(row) }));
        }),
    }),
    byCourse: t.field({
      type: [CourseAnalytics],
      description: 'Every course of the tenant, most assignments first.',
      resolve: (scope, _args, context) =>
        context.transaction(async (tx) => {
          const rows = await tx.$queryRaw<(Breakdown & { course_id: string })[]>`
            SELECT c.id AS course_id, ${NON_CANCELLED_COUNTS},
                   round(avg(s.score), 2) AS avg_score
            FROM training_courses c
            LEFT JOIN LATERAL (
              SELECT training_effective_status(a.status, a.due_date) AS status,
                     (SELECT tc.score FROM training_completions tc
                      WHERE tc.tenant_id = a.tenant_id AND tc.assignment_id = a.id AND tc.passed
                      ORDER BY tc.completed_at DESC LIMIT 1) AS score
              FROM training_assignments a
              WHERE a.tenant_id = c.tenant_id AND a.course_id = c.id ${userFilter(scope)}
            ) s ON true
            WHERE c.tenant_id = ${scope.tenantId}::uuid
            GROUP BY c.id
            -- "Most assignments first" by the figure reported (cancelled excluded), not by
            -- every row: a course with many cancelled assignments must not jump the queue.
            ORDER BY count(*) FILTER (WHERE s.status <> 'cancelled') DESC, c.id`;
          return rows.map((row) => ({ courseId: row.course_id, ...toBreakdown(row) }));
        }),
    }),
    overdueAssignments: t.prismaField({
      type: [Assignment],
      description: 'Overdue assignments, longest overdue first.',
      args: { first: t.arg.int({ defaultValue: 20 }) },
      resolve: (query, scope, args, context) =>
        context.db.trainingAssignment.findMany({
          ...query,
          where: {
            AND: [
              { tenantId: scope.tenantId },
              scope.userId ? { userId: scope.userId } : {},
              effectiveStatusWhere('overdue'),
            ],
          },
          orderBy: [{ dueDate: 'asc' }, { id: 'asc' }],
          take: Math.min(Math.max(args.first ?? 20, 0), 500),
        }),
    }),
  }),
});

builder.queryField('trainingAnalytics', (t) =>
  t.field({
    type: Analytics,
    description: "The tenant's training figures (admin, safety officer); a worker gets their own progress.",
    authScopes: { roles: ['admin', 'safety_officer', 'worker'] },
    resolve: (_root, _args, context) => {
      const caller = context.caller!;
      return { tenantId: caller.tenantId, userId: caller.role === 'worker' ? caller.userId : null };
    },
  }),
);

builder.objectField(User, 'trainingProgress', (t) =>
  t.field({
    type: Analytics,
    description: "The user's own training figures.",
    authScopes: { roles: ['admin', 'safety_officer', 'worker'] },
    resolve: (user, _args, context) => {
      assertMayReadUser(context, user.id);
      return { tenantId: context.caller!.tenantId, userId: user.id };
    },
  }),
);
