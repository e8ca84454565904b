import { Prisma } from '../generated/prisma/client.js';
import { ASSIGNMENT_STATUSES } from '../assignments/status.js';
import type { Context } from '../core/caller/index.js';
import type { Breakdown, Category, Figures, Headline } from './analytics-sql.js';

/**
 * Every field group of a tenant's Analytics (the seven figures, byStatus, byCategory, byCourse) from ONE read
 * of its counters, for a request that asks for more than one group: each group's own statement
 * (analytics-sql.ts) reads the counters again, past-due buckets included. The statement reads each course's
 * effective counts once (the same sums as training_assignment_effective_counts, written out: it joins the
 * tenant's tables, see analytics-sql.ts), and GROUPING SETS add them up per course, per category and for the
 * tenant, with the rounding, averages and orders of the per-group statements, in PostgreSQL's own arithmetic
 * and collation. The course rows carry each course's title and category, so byCourse need not load its
 * courses again. Nothing is kept beyond the request.
 */

interface Row extends Breakdown {
  level: 'course' | 'category' | 'tenant';
  course_id: string | null;
  category: Category | null;
  title: string | null;
  courses: bigint;
  assigned: bigint;
  cancelled: bigint;
  completion_rate: Prisma.Decimal;
  avg_completion_time: Prisma.Decimal;
}

/** The one statement; exported so bench/analytics times and explains it. */
export const tenantFiguresSql = (tenantId: string) => Prisma.sql`
  -- Summed once: without statistics (a table not yet analyzed) the planner may otherwise re-run it per course.
  WITH past_due AS MATERIALIZED (
      SELECT d.course_id, sum(d.assigned) AS assigned, sum(d.in_progress) AS in_progress
      FROM training_assignment_due_counts d
      WHERE d.tenant_id = ${tenantId}::uuid AND d.due_date < training_today()
      GROUP BY d.course_id
  ), per_course AS (
      SELECT c.id, c.category, c.title,
             coalesce(k.assigned, 0) - coalesce(p.assigned, 0) AS assigned,
             coalesce(k.in_progress, 0) - coalesce(p.in_progress, 0) AS in_progress,
             coalesce(k.completed, 0) AS completed,
             coalesce(k.overdue, 0) + coalesce(p.assigned, 0) + coalesce(p.in_progress, 0) AS overdue,
             coalesce(k.cancelled, 0) AS cancelled,
             coalesce(cc.score_sum, 0) AS score_sum, coalesce(cc.score_count, 0) AS score_count,
             coalesce(cc.minutes_sum, 0) AS minutes_sum, coalesce(cc.minutes_count, 0) AS minutes_count
      FROM training_courses c
      LEFT JOIN training_assignment_counts k ON k.tenant_id = ${tenantId}::uuid AND k.course_id = c.id
      LEFT JOIN past_due p ON p.course_id = c.id
      LEFT JOIN training_completion_counts cc ON cc.tenant_id = ${tenantId}::uuid AND cc.course_id = c.id
      WHERE c.tenant_id = ${tenantId}::uuid
  ), sums AS (
      SELECT CASE WHEN grouping(id) = 0 THEN 'course' WHEN grouping(category) = 0 THEN 'category' ELSE 'tenant' END
               AS level,
             id, category, title, count(id) AS courses,
             coalesce(sum(assigned + in_progress + completed + overdue), 0)::bigint AS assignments,
             coalesce(sum(assigned), 0)::bigint AS assigned, coalesce(sum(in_progress), 0)::bigint AS in_progress,
             coalesce(sum(completed), 0)::bigint AS completed, coalesce(sum(overdue), 0)::bigint AS overdue,
             coalesce(sum(cancelled), 0)::bigint AS cancelled,
             sum(score_sum) AS score_sum, sum(score_count) AS score_count,
             coalesce(sum(minutes_sum), 0) AS minutes_sum, coalesce(sum(minutes_count), 0) AS minutes_count
      FROM per_course
      GROUP BY GROUPING SETS ((id, category, title), (category), ())
  )
  SELECT level, id::text AS course_id, category, title, courses, assignments,
         assigned, in_progress, completed, overdue, cancelled,
         round(score_sum / nullif(score_count, 0), 2) AS avg_score,
         CASE WHEN assignments = 0 THEN 0 ELSE round(completed * 100.0 / assignments, 2) END AS completion_rate,
         CASE WHEN minutes_count = 0 THEN 0 ELSE round(minutes_sum::numeric / minutes_count, 2) END
           AS avg_completion_time
  FROM sums
  -- byCourse: most assignments first, then id; byCategory: by category.
  ORDER BY level, CASE WHEN level = 'course' THEN assignments END DESC, id, category`;

/** The four groups of the tenant's figures from the one read, byCourse's rows with their courses' columns. */
export async function tenantFigures(context: Context, tenantId: string): Promise<Required<Figures>> {
  const rows = await context.read<Row>(tenantFiguresSql(tenantId));
  const tenant = rows.find((row) => row.level === 'tenant')!;
  const headline: Headline = {
    total_courses: tenant.courses,
    total_assignments: tenant.assignments,
    completed_count: tenant.completed,
    in_progress_count: tenant.in_progress,
    overdue_count: tenant.overdue,
    completion_rate: tenant.completion_rate,
    avg_completion_time: tenant.avg_completion_time,
  };
  return {
    headline,
    byStatus: ASSIGNMENT_STATUSES.map((status) => ({ status, count: Number(tenant[status]) })),
    byCategory: rows
      .filter((row) => row.level === 'category')
      .map((row) => ({ ...breakdown(row), category: row.category! })),
    byCourse: rows
      .filter((row) => row.level === 'course')
      .map((row) => ({
        ...breakdown(row),
        course_id: row.course_id!,
        course: { id: row.course_id!, title: row.title!, category: row.category! },
      })),
  };
}

const breakdown = (row: Row): Breakdown => ({
  assignments: row.assignments,
  completed: row.completed,
  in_progress: row.in_progress,
  overdue: row.overdue,
  avg_score: row.avg_score,
});
