import { tenantBreakdownSql } from '../../src/analytics/analytics-sql.js';
import { tenantFiguresSql } from '../../src/analytics/tenant-figures.js';
import { RECOUNT_FIGURES } from '../../tests/support/analytics.js';

/** What the analytics benchmark measures: its sizes, the tenant, and the queries and statements it times. */

export const RUNS = Number(process.env.ANALYTICS_RUNS ?? 10);
export const WARMUP = 2;
/** A measurement stops early after this long (once it has 3 timed runs) or after 3 failures in a row. */
export const BUDGET_MS = 120_000;
/** How long leftovers of abandoned requests may run before they are cancelled. */
export const QUIESCE_MS = 10_000;
export const WORKERS = Number(process.env.ANALYTICS_WORKERS ?? 20_000); // × 50 assignments each
export const NOISE_WORKERS = Math.round(WORKERS / 5);
export const PER_WORKER = 50;
/** Write-cost runs per variant (with / without the counter triggers): single-row and bulk statements. */
export const WRITE_RUNS = Number(process.env.ANALYTICS_WRITE_RUNS ?? 100);
export const BULK_WRITE_RUNS = Number(process.env.ANALYTICS_BULK_WRITE_RUNS ?? 5);
export const BULK_INSERT_ROWS = Math.min(10_000, WORKERS);
export const BULK_UPDATE_ROWS = Math.min(50_000, WORKERS * 2);

export const TENANT = '9c4f5d0b-3e4a-4f6b-8d8e-4a5b6c7d8e93';
export const NOISE_TENANT = 'ad5a6e1c-4f5b-4a7c-9e9f-5b6c7d8e9fa4';
export const ADMIN = '0e2b9d88-ac8e-4d9f-9f1a-2b3c4d5e6f78';

export const FULL_QUERY = `{
  trainingAnalytics {
    totalCourses totalAssignments completedCount inProgressCount overdueCount completionRate avgCompletionTime
    byStatus { status count }
    byCategory { category assignments completionRate }
  }
}`;
/** The same, one field group at a time. */
export const PART_QUERIES = {
  'seven figures (get_training_analytics)':
    '{ trainingAnalytics { totalCourses totalAssignments completedCount inProgressCount overdueCount completionRate avgCompletionTime } }',
  byStatus: '{ trainingAnalytics { byStatus { status count } } }',
  byCategory: '{ trainingAnalytics { byCategory { category assignments completionRate } } }',
};
/** Everything a dashboard shows: all groups, byCourse with its 200 courses' titles, the 20 longest overdue. */
export const DASHBOARD_QUERY = `{
  trainingAnalytics {
    totalCourses totalAssignments completedCount inProgressCount overdueCount completionRate avgCompletionTime
    byStatus { status count }
    byCategory { category assignments completed inProgress overdue completionRate averageScore }
    byCourse { course { id title } assignments completed inProgress overdue completionRate averageScore }
    overdueAssignments(first: 20) { id dueDate }
  }
}`;

/** A statement as the pg client runs it: `$n` placeholders and their values. */
export interface Statement {
  text: string;
  values: unknown[];
}
export const forTenant = (text: string): Statement => ({ text, values: [TENANT] });

/**
 * The tenant-scope statements the API runs: the counters branch of get_training_analytics
 * (copied from prisma/migrations/…_analytics_counters: EXPLAIN cannot see inside the plpgsql
 * function) and the breakdowns of src/analytics/analytics-sql.ts, imported as they are; and the one read
 * of src/analytics/tenant-figures.ts that answers all four groups of a request that asks for several.
 */
export const STATEMENTS: Record<string, Statement> = {
  'seven figures (get_training_analytics, counters branch)': forTenant(`
    WITH a AS (
        SELECT coalesce(sum(e.n) FILTER (WHERE e.status <> 'cancelled'), 0)::bigint AS total,
               coalesce(sum(e.n) FILTER (WHERE e.status = 'completed'), 0)::bigint AS completed,
               coalesce(sum(e.n) FILTER (WHERE e.status = 'in_progress'), 0)::bigint AS in_progress,
               coalesce(sum(e.n) FILTER (WHERE e.status = 'overdue'), 0)::bigint AS overdue
        FROM training_assignment_effective_counts($1) e
    ), m AS (
        SELECT sum(k.minutes_sum) AS minutes, sum(k.minutes_count) AS n
        FROM training_completion_counts k WHERE k.tenant_id = $1
    )
    SELECT (SELECT count(*) FROM training_courses c WHERE c.tenant_id = $1),
           a.total, a.completed, a.in_progress, a.overdue,
           CASE WHEN a.total = 0 THEN 0 ELSE round(a.completed * 100.0 / a.total, 2) END,
           CASE WHEN coalesce(m.n, 0) = 0 THEN 0 ELSE round(m.minutes::numeric / m.n, 2) END
    FROM a, m`),
  byStatus: tenantBreakdownSql.byStatus(TENANT),
  byCategory: tenantBreakdownSql.byCategory(TENANT),
  byCourse: tenantBreakdownSql.byCourse(TENANT),
  'all four groups in one read': tenantFiguresSql(TENANT),
};

export const EXPLAINED: Record<string, Statement> = {
  ...STATEMENTS,
  'for comparison: the seven figures recounted from the rows (no counters)': forTenant(RECOUNT_FIGURES),
};

export const ANALYZED_TABLES = [
  'profiles',
  'training_courses',
  'training_assignments',
  'training_completions',
  'training_assignment_counts',
  'training_assignment_due_counts',
  'training_completion_counts',
];
