import { Prisma } from '../generated/prisma/client.js';
import { ASSIGNMENT_STATUSES, PAST_DUE_OVERDUE_STATUSES, type AssignmentStatusValue } from '../assignments/status.js';
import type { CallerTransaction } from '../core/caller/index.js';
import type { COURSE_CATEGORIES } from '../courses/course.js';

/**
 * The statements behind Analytics, all run in the caller's transaction under RLS, so a
 * worker's figures are their own.
 *
 * Tenant-wide figures come from counters the database keeps on every write
 * (training_assignment_counts, training_assignment_due_counts and
 * training_completion_counts, migrations 20261125000400_analytics_counters and
 * 20261216200000_counter_columns_per_status: a row per course, or per due date and course,
 * with a column per status): sums over a few hundred rows instead of a scan of the tenant's
 * assignments. Overdue stays
 * exact: active assignments are also counted per due date, and those past due are read
 * as overdue at read time (training_assignment_effective_counts). One user's figures (a
 * worker's own progress, User.trainingProgress) read that user's rows.
 */

/** The field groups of Analytics that each take one SQL statement. */
export type Group = 'headline' | 'byStatus' | 'byCategory' | 'byCourse';

/** Whose figures: the tenant's, or one user's. */
export interface FiguresOf {
  tenantId: string;
  userId: string | null;
}

/** The seven figures, as get_training_analytics returns them. */
export interface Headline {
  total_courses: bigint;
  total_assignments: bigint;
  completed_count: bigint;
  in_progress_count: bigint;
  overdue_count: bigint;
  completion_rate: Prisma.Decimal;
  avg_completion_time: Prisma.Decimal;
}

export interface Breakdown {
  assignments: bigint;
  completed: bigint;
  in_progress: bigint;
  overdue: bigint;
  avg_score: Prisma.Decimal | null;
}

export type Category = (typeof COURSE_CATEGORIES)[number];

export interface Figures {
  headline?: Headline;
  byStatus?: { status: AssignmentStatusValue; count: number }[];
  byCategory?: (Breakdown & { category: Category })[];
  /** `course`: the course's columns, when the figures were read with them (tenant-figures.ts). */
  byCourse?: (Breakdown & { course_id: string; course?: CourseColumns })[];
}

/** Columns of a course: byCourse's `course` is answered from them when it selects no others. */
export interface CourseColumns {
  id: string;
  title: string;
  category: string;
}

/** The groups asked for, one statement after the other in one transaction. */
export async function computeFigures(
  tx: CallerTransaction,
  of: FiguresOf,
  groups: ReadonlySet<Group>,
): Promise<Figures> {
  const result: Figures = {};
  if (groups.has('headline')) result.headline = await headlineOf(tx, of);
  if (groups.has('byStatus')) result.byStatus = await byStatusOf(tx, of);
  if (groups.has('byCategory')) result.byCategory = await byCategoryOf(tx, of);
  if (groups.has('byCourse')) result.byCourse = await byCourseOf(tx, of);
  return result;
}

/** The seven figures: get_training_analytics reads the counters for a tenant, the rows for a user. */
async function headlineOf(tx: CallerTransaction, of: FiguresOf): Promise<Headline> {
  const [row] = await tx.$queryRaw<[Headline]>`
    SELECT * FROM get_training_analytics(${of.tenantId}::uuid, ${of.userId}::uuid)`;
  return row;
}

async function byStatusOf(tx: CallerTransaction, of: FiguresOf) {
  const rows = await tx.$queryRaw<{ status: AssignmentStatusValue; count: bigint }[]>(
    of.userId
      ? Prisma.sql`
          SELECT training_effective_status(a.status, a.due_date) AS status, count(*) AS count
          FROM training_assignments a
          WHERE a.tenant_id = ${of.tenantId}::uuid AND a.user_id = ${of.userId}::uuid
          GROUP BY 1`
      : tenantBreakdownSql.byStatus(of.tenantId),
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
 * latest passed completion (an assignment has at most one passed completion). A plain join on
 * the course with the tenant as a value: Citus refuses an outer join ON true on PostgreSQL 15
 * and 16, and sends a subquery to one shard only when its tenant_id equals a value.
 */
const userRows = (of: { tenantId: string; userId: string }) => Prisma.sql`
  LEFT JOIN (
    SELECT a.course_id, training_effective_status(a.status, a.due_date) AS status,
           (SELECT tc.score FROM training_completions tc
            WHERE tc.tenant_id = ${of.tenantId}::uuid AND tc.assignment_id = a.id AND tc.passed
            ORDER BY tc.completed_at DESC LIMIT 1) AS score
    FROM training_assignments a
    WHERE a.tenant_id = ${of.tenantId}::uuid AND a.user_id = ${of.userId}::uuid
  ) s ON s.course_id = c.id`;

/**
 * The tenant's assignments per course and effective status, from the counters: what
 * training_assignment_effective_counts answers (stored status, past-due active ones moved to
 * overdue), written out as sums over the counters' status columns. A statement that joins a
 * tenant table goes whole to the tenant's shard on Citus, where that function's own reads would
 * be a distributed query run from a shard, which Citus refuses.
 */
const effectiveCounts = (tenantId: string) => Prisma.sql`
  SELECT k.course_id, s.status, s.n FROM training_assignment_counts k
  CROSS JOIN LATERAL (VALUES ('assigned', k.assigned), ('in_progress', k.in_progress), ('completed', k.completed),
                             ('overdue', k.overdue), ('cancelled', k.cancelled)) s(status, n)
  WHERE k.tenant_id = ${tenantId}::uuid
  UNION ALL
  SELECT d.course_id, s.status, s.n FROM training_assignment_due_counts d
  CROSS JOIN LATERAL (VALUES ('assigned', -d.assigned), ('in_progress', -d.in_progress),
                             ('overdue', d.assigned + d.in_progress)) s(status, n)
  WHERE d.tenant_id = ${tenantId}::uuid AND d.due_date < training_today()`;

/** The tenant's figures per course, from the counters: its assignments per effective status and its passed completions' score sums. */
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
    FROM (${effectiveCounts(tenantId)}) e
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

async function byCategoryOf(tx: CallerTransaction, of: FiguresOf) {
  return tx.$queryRaw<(Breakdown & { category: Category })[]>(
    of.userId
      ? Prisma.sql`
          SELECT c.category, ${NON_CANCELLED_COUNTS},
                 round(avg(s.score), 2) AS avg_score
          FROM training_courses c
          ${userRows({ tenantId: of.tenantId, userId: of.userId })}
          WHERE c.tenant_id = ${of.tenantId}::uuid
          GROUP BY c.category
          ORDER BY c.category`
      : tenantBreakdownSql.byCategory(of.tenantId),
  );
}

async function byCourseOf(tx: CallerTransaction, of: FiguresOf) {
  return tx.$queryRaw<(Breakdown & { course_id: string })[]>(
    of.userId
      ? Prisma.sql`
          SELECT c.id AS course_id, ${NON_CANCELLED_COUNTS},
                 round(avg(s.score), 2) AS avg_score
          FROM training_courses c
          ${userRows({ tenantId: of.tenantId, userId: of.userId })}
          WHERE c.tenant_id = ${of.tenantId}::uuid
          GROUP BY c.id
          -- "Most assignments first" by the figure reported (cancelled excluded), not by
          -- every row: a course with many cancelled assignments must not jump the queue.
          ORDER BY count(*) FILTER (WHERE s.status <> 'cancelled') DESC, c.id`
      : tenantBreakdownSql.byCourse(of.tenantId),
  );
}

/**
 * The ids of the `take` longest-overdue assignments (due date, then id). Overdue is
 * effective (src/assignments/status.ts): stored 'overdue', or one of
 * PAST_DUE_OVERDUE_STATUSES past due. One ordered index range (tenant_id, status, due_date)
 * per stored status, merged, instead of collecting every overdue row of the tenant (a
 * tenth of a million-row tenant) to sort it.
 */
export async function overdueIds(tx: CallerTransaction, of: FiguresOf, take: number): Promise<string[]> {
  const user = of.userId ? Prisma.sql`AND a.user_id = ${of.userId}::uuid` : Prisma.empty;
  const branch = (status: Prisma.Sql) => Prisma.sql`(
    SELECT a.id, a.due_date FROM training_assignments a
    WHERE a.tenant_id = ${of.tenantId}::uuid ${user} AND ${status}
    ORDER BY a.due_date, a.id LIMIT ${take})`;
  const branches = [
    branch(Prisma.sql`a.status = 'overdue'`),
    ...PAST_DUE_OVERDUE_STATUSES.map((status) =>
      branch(Prisma.sql`a.status = ${status} AND a.due_date < training_today()`),
    ),
  ];
  const rows = await tx.$queryRaw<{ id: string }[]>`
    SELECT x.id::text FROM (${Prisma.join(branches, ' UNION ALL ')}) x
    ORDER BY x.due_date, x.id
    LIMIT ${take}`;
  return rows.map((row) => row.id);
}

/** A course's effectiveness figures (see effectivenessOf). */
export interface EffectivenessRow {
  course_id: string;
  trained_entities: number;
  mean_score_before: Prisma.Decimal | null;
  mean_score_after: Prisma.Decimal | null;
  mean_change: Prisma.Decimal | null;
}

/**
 * Did risk-based training lower the risk? For each course of `courseIds`, in ONE
 * statement: its completed risk-based assignments with a passed completion whose
 * trigger entity has an after-score — the entity's latest score computed 7 to 90
 * days after that completion. Each such (assignment) pairs its trigger score
 * (before) with that after-score; pairs are averaged per entity first (a zone's
 * score that trained ten of its workers counts once), then over the entities:
 * `trained_entities` is how many, the means are rounded to two decimals, and
 * `mean_change` = after − before (negative: the risk went down). Each subquery names the tenant itself, so a
 * database distributed by tenant sends the whole statement to the tenant's shard.
 */
export function effectivenessOf(
  tx: CallerTransaction,
  tenantId: string,
  courseIds: readonly string[],
): Promise<EffectivenessRow[]> {
  return tx.$queryRaw<EffectivenessRow[]>`
    WITH pairs AS (
        SELECT a.course_id, a.trigger_entity_type AS entity_type, a.trigger_entity_id AS entity_id,
               a.trigger_score AS before, after.score AS after
        FROM training_assignments a
        CROSS JOIN LATERAL (
            SELECT max(tc.completed_at) AS completed_at FROM training_completions tc
            WHERE tc.tenant_id = ${tenantId}::uuid AND tc.assignment_id = a.id AND tc.passed) done
        CROSS JOIN LATERAL (
            SELECT s.score FROM predictive_scores s
            WHERE s.tenant_id = ${tenantId}::uuid AND s.entity_type = a.trigger_entity_type
              AND s.entity_id = a.trigger_entity_id
              AND s.computed_at >= done.completed_at + interval '7 days'
              AND s.computed_at <= done.completed_at + interval '90 days'
            ORDER BY s.computed_at DESC, s.created_at DESC, s.id DESC
            LIMIT 1) after
        WHERE a.tenant_id = ${tenantId}::uuid AND a.course_id = ANY(${[...courseIds]}::uuid[])
          AND a.assignment_type = 'risk_based' AND a.status = 'completed'
          AND a.trigger_score IS NOT NULL AND a.trigger_entity_id IS NOT NULL
    ), entities AS (
        SELECT course_id, avg(before) AS before, avg(after) AS after
        FROM pairs GROUP BY course_id, entity_type, entity_id
    )
    SELECT course_id::text AS course_id, count(*)::int AS trained_entities,
           round(avg(before), 2) AS mean_score_before, round(avg(after), 2) AS mean_score_after,
           round(avg(after) - avg(before), 2) AS mean_change
    FROM entities
    GROUP BY course_id`;
}
