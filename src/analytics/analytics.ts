import { Kind, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';
import { Prisma } from '../generated/prisma/client.js';
import { Assignment, AssignmentStatus } from '../assignments/assignment.js';
import { ASSIGNMENT_STATUSES, type AssignmentStatusValue } from '../assignments/status.js';
import { builder } from '../core/builder.js';
import { notFound } from '../core/errors.js';
import type { Context, TenantTransaction } from '../core/caller.js';
import { assertMayReadUser, may } from '../core/permissions.js';
import { Course, CourseCategory, COURSE_CATEGORIES } from '../courses/course.js';
import { User } from '../users/user.js';

/**
 * Training analytics (SPEC §4): the original's seven figures plus breakdowns,
 * computed in SQL under the caller's RLS, so a worker's figures are their own.
 *
 * Tenant-wide figures come from counters the database keeps on every write
 * (training_assignment_counts, training_assignment_due_counts and
 * training_completion_counts, migration 20261125000400_analytics_counters): sums over
 * about a thousand buckets instead of a scan of the tenant's assignments. Overdue stays
 * exact: active assignments are also counted per due date, and those past due are read
 * as overdue at read time (training_assignment_effective_counts). One
 * user's figures (a worker's own progress, User.trainingProgress) read that user's
 * rows. Each request computes the field groups it asks for, one after the other,
 * in one transaction (not one transaction per group: that exhausts the pool).
 */

/** The field groups of Analytics that each take one SQL statement. */
type Group = 'headline' | 'byStatus' | 'byCategory' | 'byCourse';

const GROUP_OF_FIELD: Record<string, Group> = {
  totalCourses: 'headline',
  totalAssignments: 'headline',
  completedCount: 'headline',
  inProgressCount: 'headline',
  overdueCount: 'headline',
  completionRate: 'headline',
  avgCompletionTime: 'headline',
  byStatus: 'byStatus',
  byCategory: 'byCategory',
  byCourse: 'byCourse',
};

/** Whose figures (the tenant's, or one user's), and which field groups the query asks for. */
interface AnalyticsScope {
  tenantId: string;
  userId: string | null;
  groups: ReadonlySet<Group>;
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

type Category = (typeof COURSE_CATEGORIES)[number];

interface Figures {
  headline?: Headline;
  byStatus?: { status: AssignmentStatusValue; count: number }[];
  byCategory?: (Breakdown & { category: Category })[];
  byCourse?: (Breakdown & { course_id: string })[];
}

const rate = (part: bigint, whole: bigint) =>
  whole === 0n ? 0 : Math.round((Number(part) * 10000) / Number(whole)) / 100;

/** The Analytics fields a query selects (through fragments too), as field groups. */
function requestedGroups(info: GraphQLResolveInfo): Set<Group> {
  const groups = new Set<Group>();
  const visit = (selectionSet: SelectionSetNode | undefined) => {
    for (const selection of selectionSet?.selections ?? []) {
      if (selection.kind === Kind.FIELD) {
        const group = GROUP_OF_FIELD[selection.name.value];
        if (group) groups.add(group);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        visit(selection.selectionSet);
      } else {
        visit(info.fragments[selection.name.value]?.selectionSet);
      }
    }
  };
  for (const node of info.fieldNodes) visit(node.selectionSet);
  return groups;
}

/** Every requested group of one Analytics object, computed once, in one transaction. */
const computed = new WeakMap<AnalyticsScope, Promise<Figures>>();
/** A group a resolver needs that the selection did not announce (should not happen): its own transaction. */
const extra = new WeakMap<AnalyticsScope, Map<Group, Promise<Figures>>>();

async function figures<G extends Group>(
  scope: AnalyticsScope,
  group: G,
  context: Context,
): Promise<NonNullable<Figures[G]>> {
  let pending = computed.get(scope);
  if (!pending) {
    pending = compute(scope, new Set([...scope.groups, group]), context);
    computed.set(scope, pending);
  }
  const result = await pending;
  if (result[group] !== undefined) return result[group]!;
  const more = extra.get(scope) ?? new Map<Group, Promise<Figures>>();
  extra.set(scope, more);
  let single = more.get(group);
  if (!single) {
    single = compute(scope, new Set([group]), context);
    more.set(group, single);
  }
  return (await single)[group]!;
}

/**
 * One transaction for all the groups, run one after the other. It has the default request
 * timeout, and withTenant sets PostgreSQL's statement_timeout to the same value, so a
 * statement the API gave up on is cancelled instead of running on and holding a connection.
 */
function compute(scope: AnalyticsScope, groups: ReadonlySet<Group>, context: Context): Promise<Figures> {
  return context.transaction(async (tx) => {
    const result: Figures = {};
    if (groups.has('headline')) result.headline = await headlineOf(tx, scope);
    if (groups.has('byStatus')) result.byStatus = await byStatusOf(tx, scope);
    if (groups.has('byCategory')) result.byCategory = await byCategoryOf(tx, scope);
    if (groups.has('byCourse')) result.byCourse = await byCourseOf(tx, scope);
    return result;
  });
}

/** The seven figures: get_training_analytics reads the counters for a tenant, the rows for a user. */
async function headlineOf(tx: TenantTransaction, scope: AnalyticsScope): Promise<Headline> {
  const [row] = await tx.$queryRaw<[Headline]>`
    SELECT * FROM get_training_analytics(${scope.tenantId}::uuid, ${scope.userId}::uuid)`;
  return row;
}

async function byStatusOf(tx: TenantTransaction, scope: AnalyticsScope) {
  const rows = scope.userId
    ? await tx.$queryRaw<{ status: AssignmentStatusValue; count: bigint }[]>`
        SELECT training_effective_status(a.status, a.due_date) AS status, count(*) AS count
        FROM training_assignments a
        WHERE a.tenant_id = ${scope.tenantId}::uuid AND a.user_id = ${scope.userId}::uuid
        GROUP BY 1`
    : await tx.$queryRaw<{ status: AssignmentStatusValue; count: bigint }[]>(
        tenantBreakdownSql.byStatus(scope.tenantId),
      );
  const counts = new Map(rows.map((row) => [row.status, Number(row.count)]));
  return ASSIGNMENT_STATUSES.map((status) => ({ status, count: counts.get(status) ?? 0 }));
}

const NON_CANCELLED_COUNTS = Prisma.sql`
  count(*) FILTER (WHERE s.status <> 'cancelled') AS assignments,
  count(*) FILTER (WHERE s.status = 'completed') AS completed,
  count(*) FILTER (WHERE s.status = 'in_progress') AS in_progress,
  count(*) FILTER (WHERE s.status = 'overdue') AS overdue`;

/**
 * One user's assignments per course with their effective status and the score of their
 * latest passed completion (an assignment has at most one passed completion).
 */
const userRows = (scope: AnalyticsScope) => Prisma.sql`
  LEFT JOIN LATERAL (
    SELECT training_effective_status(a.status, a.due_date) AS status,
           (SELECT tc.score FROM training_completions tc
            WHERE tc.tenant_id = a.tenant_id AND tc.assignment_id = a.id AND tc.passed
            ORDER BY tc.completed_at DESC LIMIT 1) AS score
    FROM training_assignments a
    WHERE a.tenant_id = c.tenant_id AND a.course_id = c.id AND a.user_id = ${scope.userId}::uuid
  ) s ON true`;

/**
 * The tenant's figures per course, from the counters: its assignments per effective status
 * (training_assignment_effective_counts: stored status, past-due active ones as overdue) and
 * its passed completions' score sums.
 */
const tenantCourses = (tenantId: string) => Prisma.sql`
  SELECT c.id, c.category,
         coalesce(k.assignments, 0)::bigint AS assignments, coalesce(k.completed, 0)::bigint AS completed,
         coalesce(k.in_progress, 0)::bigint AS in_progress, coalesce(k.overdue, 0)::bigint AS overdue,
         coalesce(cc.score_sum, 0) AS score_sum, coalesce(cc.score_count, 0)::bigint AS score_count
  FROM training_courses c
  LEFT JOIN (
    SELECT e.course_id,
           sum(e.n) FILTER (WHERE e.status <> 'cancelled') AS assignments,
           sum(e.n) FILTER (WHERE e.status = 'completed') AS completed,
           sum(e.n) FILTER (WHERE e.status = 'in_progress') AS in_progress,
           sum(e.n) FILTER (WHERE e.status = 'overdue') AS overdue
    FROM training_assignment_effective_counts(${tenantId}::uuid) e
    GROUP BY e.course_id
  ) k ON k.course_id = c.id
  LEFT JOIN training_completion_counts cc ON cc.tenant_id = c.tenant_id AND cc.course_id = c.id
  WHERE c.tenant_id = ${tenantId}::uuid`;

/**
 * The tenant-wide breakdowns, sums over the counters. Exported so bench/analytics times and
 * explains these very statements.
 */
export const tenantBreakdownSql = {
  byStatus: (tenantId: string) => Prisma.sql`
    SELECT e.status, sum(e.n)::bigint AS count
    FROM training_assignment_effective_counts(${tenantId}::uuid) e
    GROUP BY 1`,
  byCategory: (tenantId: string) => Prisma.sql`
    WITH per_course AS (${tenantCourses(tenantId)})
    SELECT category, sum(assignments)::bigint AS assignments, sum(completed)::bigint AS completed,
           sum(in_progress)::bigint AS in_progress, sum(overdue)::bigint AS overdue,
           round(sum(score_sum) / nullif(sum(score_count), 0), 2) AS avg_score
    FROM per_course
    GROUP BY category
    ORDER BY category`,
  byCourse: (tenantId: string) => Prisma.sql`
    WITH per_course AS (${tenantCourses(tenantId)})
    SELECT id AS course_id, assignments, completed, in_progress, overdue,
           round(score_sum / nullif(score_count, 0), 2) AS avg_score
    FROM per_course
    ORDER BY assignments DESC, id`,
};

async function byCategoryOf(tx: TenantTransaction, scope: AnalyticsScope) {
  return scope.userId
    ? tx.$queryRaw<(Breakdown & { category: Category })[]>`
        SELECT c.category, ${NON_CANCELLED_COUNTS},
               round(avg(s.score), 2) AS avg_score
        FROM training_courses c
        ${userRows(scope)}
        WHERE c.tenant_id = ${scope.tenantId}::uuid
        GROUP BY c.category
        ORDER BY c.category`
    : tx.$queryRaw<(Breakdown & { category: Category })[]>(tenantBreakdownSql.byCategory(scope.tenantId));
}

async function byCourseOf(tx: TenantTransaction, scope: AnalyticsScope) {
  return scope.userId
    ? tx.$queryRaw<(Breakdown & { course_id: string })[]>`
        SELECT c.id AS course_id, ${NON_CANCELLED_COUNTS},
               round(avg(s.score), 2) AS avg_score
        FROM training_courses c
        ${userRows(scope)}
        WHERE c.tenant_id = ${scope.tenantId}::uuid
        GROUP BY c.id
        -- "Most assignments first" by the figure reported (cancelled excluded), not by
        -- every row: a course with many cancelled assignments must not jump the queue.
        ORDER BY count(*) FILTER (WHERE s.status <> 'cancelled') DESC, c.id`
    : tx.$queryRaw<(Breakdown & { course_id: string })[]>(tenantBreakdownSql.byCourse(scope.tenantId));
}

/**
 * The ids of the `take` longest-overdue assignments (due date, then id). Overdue is
 * effective: stored 'overdue', or 'assigned'/'in_progress' past due. One ordered index range
 * (tenant_id, status, due_date) per stored status, merged, instead of collecting every
 * overdue row of the tenant (a tenth of a million-row tenant) to sort it.
 */
async function overdueIds(tx: TenantTransaction, scope: AnalyticsScope, take: number): Promise<string[]> {
  const user = scope.userId ? Prisma.sql`AND a.user_id = ${scope.userId}::uuid` : Prisma.empty;
  const branch = (status: Prisma.Sql) => Prisma.sql`(
    SELECT a.id, a.due_date FROM training_assignments a
    WHERE a.tenant_id = ${scope.tenantId}::uuid ${user} AND ${status}
    ORDER BY a.due_date, a.id LIMIT ${take})`;
  const rows = await tx.$queryRaw<{ id: string }[]>`
    SELECT x.id::text FROM (
      ${branch(Prisma.sql`a.status = 'overdue'`)}
      UNION ALL
      ${branch(Prisma.sql`a.status = 'assigned' AND a.due_date < training_today()`)}
      UNION ALL
      ${branch(Prisma.sql`a.status = 'in_progress' AND a.due_date < training_today()`)}
    ) x
    ORDER BY x.due_date, x.id
    LIMIT ${take}`;
  return rows.map((row) => row.id);
}

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

const CategoryAnalytics = builder.objectRef<BreakdownShape & { category: Category }>('CategoryAnalytics');
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

/** The courses of one byCourse list, loaded by one query for all its rows (not one per row). */
interface CourseBatch {
  ids: string[];
  loaded?: Promise<Map<string, unknown>>;
}

const CourseAnalytics = builder.objectRef<BreakdownShape & { courseId: string; courses: CourseBatch }>(
  'CourseAnalytics',
);
CourseAnalytics.implement({
  description: 'Figures for one course (cancelled assignments excluded).',
  fields: (t) => ({
    course: t.prismaField({
      type: Course,
      resolve: async (query, row, _args, context) => {
        // Every row's `course` has the same selection, so the first one's query serves them all.
        const select = (query as { select?: Record<string, unknown> }).select;
        row.courses.loaded ??= context.db.trainingCourse
          .findMany({
            ...query,
            ...(select ? { select: { ...select, id: true } } : {}),
            where: { id: { in: row.courses.ids } },
          })
          .then((courses) => new Map(courses.map((course) => [course.id, course])));
        const course = (await row.courses.loaded).get(row.courseId);
        if (!course) throw notFound('Course');
        return course as Awaited<ReturnType<typeof context.db.trainingCourse.findUniqueOrThrow>>;
      },
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
    totalCourses: t.int({
      resolve: async (scope, _args, ctx) => Number((await figures(scope, 'headline', ctx)).total_courses),
    }),
    totalAssignments: t.int({
      description: 'Assignments that are not cancelled.',
      resolve: async (scope, _args, ctx) => Number((await figures(scope, 'headline', ctx)).total_assignments),
    }),
    completedCount: t.int({
      resolve: async (scope, _args, ctx) => Number((await figures(scope, 'headline', ctx)).completed_count),
    }),
    inProgressCount: t.int({
      resolve: async (scope, _args, ctx) => Number((await figures(scope, 'headline', ctx)).in_progress_count),
    }),
    overdueCount: t.int({
      resolve: async (scope, _args, ctx) => Number((await figures(scope, 'headline', ctx)).overdue_count),
    }),
    completionRate: t.float({
      description: 'Completed as a percentage of totalAssignments, two decimals.',
      resolve: async (scope, _args, ctx) => Number((await figures(scope, 'headline', ctx)).completion_rate),
    }),
    avgCompletionTime: t.float({
      description: 'Mean minutes spent on passed completions (0 when none).',
      resolve: async (scope, _args, ctx) => Number((await figures(scope, 'headline', ctx)).avg_completion_time),
    }),
    byStatus: t.field({
      type: [StatusCount],
      description: 'Every status with its count (effective status: overdue is computed).',
      resolve: (scope, _args, context) => figures(scope, 'byStatus', context),
    }),
    byCategory: t.field({
      type: [CategoryAnalytics],
      description: 'Every category that has courses.',
      resolve: async (scope, _args, context) =>
        (await figures(scope, 'byCategory', context)).map((row) => ({ category: row.category, ...toBreakdown(row) })),
    }),
    byCourse: t.field({
      type: [CourseAnalytics],
      description: 'Every course of the tenant, most assignments first.',
      resolve: async (scope, _args, context) => {
        const rows = await figures(scope, 'byCourse', context);
        const courses: CourseBatch = { ids: rows.map((row) => row.course_id) };
        return rows.map((row) => ({ courseId: row.course_id, courses, ...toBreakdown(row) }));
      },
    }),
    overdueAssignments: t.prismaField({
      type: [Assignment],
      description: 'Overdue assignments, longest overdue first.',
      args: { first: t.arg.int({ defaultValue: 20 }) },
      resolve: async (query, scope, args, context) => {
        const take = Math.min(Math.max(args.first ?? 20, 0), 500);
        if (take === 0) return [];
        const select = (query as { select?: Record<string, unknown> }).select;
        // The ids, then the rows with whatever the query selects of them: one transaction.
        const [ids, rows] = await context.transaction(async (tx) => {
          const found = await overdueIds(tx, scope, take);
          if (found.length === 0) return [found, []];
          const loaded = await tx.trainingAssignment.findMany({
            ...query,
            ...(select ? { select: { ...select, id: true } } : {}),
            where: { tenantId: scope.tenantId, id: { in: found } },
          });
          return [found, loaded] as const;
        });
        const order = new Map(ids.map((id, index) => [id, index]));
        return rows.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
      },
    }),
  }),
});

builder.queryField('trainingAnalytics', (t) =>
  t.withAuth({ may: 'analytics.read' }).field({
    type: Analytics,
    description: "The tenant's training figures (admin, safety officer); a worker gets their own progress.",
    resolve: (_root, _args, context, info) => {
      const caller = context.caller;
      return {
        tenantId: caller.tenantId,
        userId: may(caller.role, 'training.readAnyone') ? null : caller.userId,
        groups: requestedGroups(info),
      };
    },
  }),
);

builder.objectField(User, 'trainingProgress', (t) =>
  t.withAuth({ may: 'analytics.read' }).field({
    type: Analytics,
    description: "The user's own training figures.",
    resolve: (user, _args, context, info) => {
      assertMayReadUser(context, user.id);
      return { tenantId: context.caller.tenantId, userId: user.id, groups: requestedGroups(info) };
    },
  }),
);
