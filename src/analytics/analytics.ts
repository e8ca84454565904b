import type { GraphQLResolveInfo } from 'graphql';
import { Prisma } from '../generated/prisma/client.js';
import { Assignment, AssignmentStatus } from '../assignments/assignment.js';
import { ASSIGNMENT_STATUSES, type AssignmentStatusValue } from '../assignments/status.js';
import { builder } from '../core/builder.js';
import { notFound } from '../core/errors.js';
import type { Context } from '../core/caller/index.js';
import { MAX_PAGE_SIZE } from '../core/page-size.js';
import { may } from '../core/permissions.js';
import * as validate from '../core/validate.js';
import { assertMayReadUser } from '../users/access.js';
import { MAX_ITEMS_EXTENSION } from '../core/query-cost.js';
import { selectedFieldNames } from '../core/selection.js';
import { COURSE_CATEGORIES, Course, CourseCategory } from '../courses/course.js';
import { User } from '../users/user.js';
import { breakdownFields, toBreakdown, type BreakdownShape } from './breakdown-shape.js';
import { addBreakdownFields, AnalyticsFilter, breakdownFilter, groupedFigures } from './breakdowns.js';
import {
  computeFigures,
  effectivenessOf,
  overdueIds,
  type EffectivenessRow,
  type Category,
  type CourseColumns,
  type Figures,
  type FiguresOf,
  type Group,
  type Headline,
} from './analytics-sql.js';
import { tenantFigures } from './tenant-figures.js';

/**
 * Training analytics: seven headline figures plus breakdowns, computed in SQL under the
 * caller's RLS (analytics-sql.ts), so a worker's figures are their own. Each request
 * computes the field groups it asks for, one after the other, in one transaction (not
 * one transaction per group: that exhausts the pool); several groups of a tenant's
 * figures come from one read of its counters (tenant-figures.ts).
 */

/** The seven headline figures: GraphQL field, column of get_training_analytics, type and description. */
const HEADLINE_FIGURES: { field: string; column: keyof Headline; type: 'int' | 'float'; description?: string }[] = [
  { field: 'totalCourses', column: 'total_courses', type: 'int' },
  {
    field: 'totalAssignments',
    column: 'total_assignments',
    type: 'int',
    description: 'Assignments that are not cancelled.',
  },
  { field: 'completedCount', column: 'completed_count', type: 'int' },
  { field: 'inProgressCount', column: 'in_progress_count', type: 'int' },
  { field: 'overdueCount', column: 'overdue_count', type: 'int' },
  {
    field: 'completionRate',
    column: 'completion_rate',
    type: 'float',
    description: 'Completed as a percentage of totalAssignments, two decimals.',
  },
  {
    field: 'avgCompletionTime',
    column: 'avg_completion_time',
    type: 'float',
    description: 'Mean minutes spent on passed completions (0 when none).',
  },
];

const GROUP_OF_FIELD: Record<string, Group> = {
  ...Object.fromEntries(HEADLINE_FIGURES.map(({ field }) => [field, 'headline' as const])),
  byStatus: 'byStatus',
  byCategory: 'byCategory',
  byCourse: 'byCourse',
};

/** Whose figures, and which field groups the query asks for. */
interface AnalyticsScope extends FiguresOf {
  groups: ReadonlySet<Group>;
}

/** The Analytics fields a query selects (through fragments too), as field groups. */
function requestedGroups(info: GraphQLResolveInfo): Set<Group> {
  const groups = [...selectedFieldNames(info)].flatMap((name) => GROUP_OF_FIELD[name] ?? []);
  return new Set(groups);
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
 * One transaction for all the groups. It has the default request timeout, and runAsCaller
 * sets PostgreSQL's statement_timeout to the same value, so a statement the API gave up on
 * is cancelled instead of running on and holding a connection.
 */
function compute(scope: AnalyticsScope, groups: ReadonlySet<Group>, context: Context): Promise<Figures> {
  // One group alone keeps its own statement: each reads less than all four together.
  if (scope.userId === null && groups.size > 1) return tenantFigures(context, scope.tenantId);
  return context.transaction((tx) => computeFigures(tx, scope, groups));
}

const CategoryAnalytics = builder.objectRef<BreakdownShape & { category: Category }>('CategoryAnalytics');
CategoryAnalytics.implement({
  description: 'Figures for the courses of one category (cancelled assignments excluded).',
  fields: (t) => ({
    category: t.expose('category', { type: CourseCategory }),
    ...breakdownFields(t),
  }),
});

/** The courses of one byCourse list, loaded by one query for all its rows (not one per row). */
export interface CourseBatch {
  ids: string[];
  loaded?: Promise<Map<string, unknown>>;
  /** The courses' columns, when the figures were read with them. */
  known: Map<string, CourseColumns>;
  /** The tenant whose figures these are; null: one user's (no effectiveness). */
  tenantId: string | null;
  /** Every row's effectiveness, by one statement for the whole list. */
  effectiveness?: Promise<Map<string, EffectivenessRow>>;
}

interface EffectivenessShape {
  trainedEntities: number;
  meanScoreBefore: number | null;
  meanScoreAfter: number | null;
  meanChange: number | null;
}

type LoadedCourse = ReturnType<Context['db']['trainingCourse']['findUniqueOrThrow']>;

/**
 * Whether a course's columns are all that plugin-prisma's `query` would load: a selection of columns only,
 * each one of them (a relation, or any other column, loads the course).
 */
function answers(query: object, known: CourseColumns): boolean {
  const { select, ...rest } = query as { select?: Record<string, unknown> };
  return (
    select !== undefined &&
    Object.keys(rest).length === 0 &&
    Object.entries(select).every(([column, value]) => value === true && Object.hasOwn(known, column))
  );
}

const decimal = (value: { toString(): string } | null) => (value === null ? null : Number(value));

const CourseEffectiveness = builder.objectRef<EffectivenessShape>('CourseEffectiveness');
CourseEffectiveness.implement({
  description:
    "Did the course's risk-based training lower the risk? Over its passed risk-based assignments whose entity has " +
    'an after-score (its latest score computed 7–90 days after the passed completion); averaged per entity, then over entities.',
  fields: (t) => ({
    trainedEntities: t.exposeInt('trainedEntities', {
      description: 'Entities (worker, driver, zone, equipment) counted.',
    }),
    meanScoreBefore: t.float({
      nullable: true,
      description: 'Mean trigger score, two decimals; null when no entity counts.',
      resolve: (row) => row.meanScoreBefore,
    }),
    meanScoreAfter: t.float({
      nullable: true,
      description: 'Mean after-score, two decimals.',
      resolve: (row) => row.meanScoreAfter,
    }),
    meanChange: t.float({
      nullable: true,
      description: 'Mean after-score − mean trigger score (negative: the risk went down).',
      resolve: (row) => row.meanChange,
    }),
  }),
});

export const CourseAnalytics = builder.objectRef<BreakdownShape & { courseId: string; courses: CourseBatch }>(
  'CourseAnalytics',
);
CourseAnalytics.implement({
  description: 'Figures for one course (cancelled assignments excluded).',
  fields: (t) => ({
    course: t.prismaField({
      type: Course,
      resolve: async (query, row, _args, context) => {
        const select = (query as { select?: Record<string, unknown> }).select;
        const known = row.courses.known.get(row.courseId);
        if (known && answers(query, known)) return known as unknown as Awaited<LoadedCourse>;
        // Every row's `course` has the same selection, so the first one's query serves them all.
        row.courses.loaded ??= context.db.trainingCourse
          .findMany({
            ...query,
            ...(select ? { select: { ...select, id: true } } : {}),
            where: { id: { in: row.courses.ids } },
          })
          .then((courses) => new Map(courses.map((course) => [course.id, course])));
        const course = (await row.courses.loaded).get(row.courseId);
        if (!course) throw notFound('Course');
        return course as Awaited<LoadedCourse>;
      },
    }),
    effectiveness: t.field({
      type: CourseEffectiveness,
      nullable: true,
      description: "The course's effect on risk scores (tenant figures only: null in one user's progress).",
      resolve: async (row, _args, context) => {
        const tenantId = row.courses.tenantId;
        if (tenantId === null) return null;
        row.courses.effectiveness ??= context
          .transaction((tx) => effectivenessOf(tx, tenantId, row.courses.ids))
          .then((rows) => new Map(rows.map((found) => [found.course_id, found])));
        const found = (await row.courses.effectiveness).get(row.courseId);
        return {
          trainedEntities: found?.trained_entities ?? 0,
          meanScoreBefore: decimal(found?.mean_score_before ?? null),
          meanScoreAfter: decimal(found?.mean_score_after ?? null),
          meanChange: decimal(found?.mean_change ?? null),
        };
      },
    }),
    ...breakdownFields(t),
  }),
});

const StatusCount = builder.objectRef<{ status: AssignmentStatusValue; count: number }>('StatusCount');
StatusCount.implement({
  fields: (t) => ({
    status: t.expose('status', { type: AssignmentStatus }),
    count: t.exposeInt('count'),
  }),
});

const RiskTriggerCounts = builder.objectRef<{ threshold: number; trend: number }>('RiskTriggerCounts');
RiskTriggerCounts.implement({
  description: 'Risk-based assignments by what triggered them.',
  fields: (t) => ({
    threshold: t.exposeInt('threshold', { description: 'A latest score at or above the course’s threshold.' }),
    trend: t.exposeInt('trend', {
      description: 'A rising score expected to reach the threshold within the course’s leadDays (assigned ahead).',
    }),
  }),
});

export const Analytics = builder.objectRef<AnalyticsScope>('Analytics');
Analytics.implement({
  description: 'Training figures for the tenant, or for one user (a worker always gets their own).',
  fields: (t) => ({
    ...Object.fromEntries(
      HEADLINE_FIGURES.map(({ field, column, type, description }) => {
        const options = {
          description,
          resolve: async (scope: AnalyticsScope, _args: object, context: Context) =>
            Number((await figures(scope, 'headline', context))[column]),
        };
        return [field, type === 'int' ? t.int(options) : t.float(options)];
      }),
    ),
    byStatus: t.field({
      type: [StatusCount],
      description: 'Every status with its count (effective status: overdue is computed).',
      // One row per status: the query cost prices this list at that length (src/core/limits.ts).
      extensions: { [MAX_ITEMS_EXTENSION]: ASSIGNMENT_STATUSES.length },
      resolve: (scope, _args, context) => figures(scope, 'byStatus', context),
    }),
    byCategory: t.field({
      type: [CategoryAnalytics],
      description: 'Every category that has courses.',
      extensions: { [MAX_ITEMS_EXTENSION]: COURSE_CATEGORIES.length },
      resolve: async (scope, _args, context) =>
        (await figures(scope, 'byCategory', context)).map((row) => ({ category: row.category, ...toBreakdown(row) })),
    }),
    byCourse: t.field({
      type: [CourseAnalytics],
      description:
        'Every course of the tenant, most assignments first; `courseId` narrows to one course and `first` to the ' +
        'first ones (a query selecting large lists per course, as questionStats, is priced by it).',
      args: {
        courseId: t.arg.id(),
        first: t.arg.int({ description: `At most ${MAX_PAGE_SIZE}.` }),
        filter: t.arg({
          type: AnalyticsFilter,
          description: "Figures of the assignments it keeps only (read from the rows, not the tenant's counters).",
        }),
      },
      resolve: async (scope, args, context) => {
        const courseId = args.courseId == null ? null : validate.uuid('courseId', args.courseId);
        const first = args.first == null ? null : validate.integer('first', args.first, { min: 0, max: MAX_PAGE_SIZE });
        const all = args.filter
          ? (await groupedFigures(context, scope, breakdownFilter(args.filter), 'course')).map((row) => ({
              ...row,
              course_id: row.key!,
            }))
          : await figures(scope, 'byCourse', context);
        const narrowed = courseId === null ? all : all.filter((row) => row.course_id === courseId);
        const rows = first === null ? narrowed : narrowed.slice(0, first);
        const courses: CourseBatch = {
          ids: rows.map((row) => row.course_id),
          known: new Map(
            rows.flatMap((row): [string, CourseColumns][] =>
              'course' in row && row.course ? [[row.course_id, row.course]] : [],
            ),
          ),
          tenantId: scope.userId === null ? scope.tenantId : null,
        };
        return rows.map((row) => ({ courseId: row.course_id, courses, ...toBreakdown(row) }));
      },
    }),
    riskTriggers: t.field({
      type: RiskTriggerCounts,
      description: 'Risk-based assignments over the threshold, and those assigned ahead of it by a rising trend.',
      resolve: async (scope, _args, context) => {
        const [row] = await context.read<{ threshold: number; trend: number }>(Prisma.sql`
          SELECT count(*) FILTER (WHERE trigger_score >= trigger_threshold)::int AS threshold,
                 count(*) FILTER (WHERE trigger_score < trigger_threshold)::int AS trend
          FROM training_assignments
          WHERE tenant_id = ${scope.tenantId}::uuid AND assignment_type = 'risk_based'
            AND (${scope.userId}::uuid IS NULL OR user_id = ${scope.userId}::uuid)`);
        return row ?? { threshold: 0, trend: 0 };
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

addBreakdownFields(Analytics);

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
