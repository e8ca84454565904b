/**
 * The analytics counters checked against the rows they summarise: SQL that recounts them
 * from training_assignments and training_completions, for tests and the analytics benchmark.
 */

/**
 * Assignment counts that differ between the counters and a recount of the rows: `side` missing or extra, one row per
 * (tenant, course, status, due date or null), as the counters' status columns read; a counter row of all zeros is
 * extra with a null status.
 */
export const ASSIGNMENT_COUNTER_DIFFERENCES = `
  WITH recount AS (
    SELECT tenant_id, course_id, status, NULL::date AS due_date, count(*)::bigint AS n
    FROM training_assignments GROUP BY 1, 2, 3
    UNION ALL
    SELECT tenant_id, course_id, status, due_date, count(*)::bigint
    FROM training_assignments WHERE status IN ('assigned', 'in_progress') AND due_date IS NOT NULL
    GROUP BY 1, 2, 3, 4),
  kept AS (
    SELECT k.tenant_id, k.course_id, s.status, NULL::date AS due_date, s.n FROM training_assignment_counts k
    CROSS JOIN LATERAL (VALUES ('assigned', k.assigned), ('in_progress', k.in_progress), ('completed', k.completed),
                               ('overdue', k.overdue), ('cancelled', k.cancelled)) s(status, n)
    WHERE s.n <> 0
    UNION ALL
    SELECT d.tenant_id, d.course_id, s.status, d.due_date, s.n FROM training_assignment_due_counts d
    CROSS JOIN LATERAL (VALUES ('assigned', d.assigned), ('in_progress', d.in_progress)) s(status, n)
    WHERE s.n <> 0
    UNION ALL -- a counter row left with nothing to count
    SELECT tenant_id, course_id, NULL, NULL, 0 FROM training_assignment_counts
    WHERE (assigned, in_progress, completed, overdue, cancelled) = (0, 0, 0, 0, 0)
    UNION ALL
    SELECT tenant_id, course_id, NULL, due_date, 0 FROM training_assignment_due_counts
    WHERE (assigned, in_progress) = (0, 0))
  (SELECT 'missing' AS side, * FROM (TABLE recount EXCEPT ALL TABLE kept) m)
  UNION ALL
  (SELECT 'extra', * FROM (TABLE kept EXCEPT ALL TABLE recount) e)`;

/** Completion-count buckets that differ between the counters and a recount of the rows: `side` missing or extra. */
export const COMPLETION_COUNTER_DIFFERENCES = `
  WITH recount AS (
    SELECT tenant_id, course_id, count(*)::bigint AS passed_count,
           coalesce(sum(completion_time_minutes), 0)::bigint AS minutes_sum,
           count(completion_time_minutes)::bigint AS minutes_count,
           coalesce(sum(score), 0)::numeric AS score_sum, count(score)::bigint AS score_count
    FROM training_completions WHERE passed GROUP BY 1, 2),
  kept AS (
    SELECT tenant_id, course_id, passed_count, minutes_sum, minutes_count, score_sum, score_count
    FROM training_completion_counts)
  (SELECT 'missing' AS side, * FROM (TABLE recount EXCEPT ALL TABLE kept) m)
  UNION ALL
  (SELECT 'extra', * FROM (TABLE kept EXCEPT ALL TABLE recount) e)`;

/** The seven figures of get_training_analytics($1) recounted from the rows: the formula the counters replace. */
export const RECOUNT_FIGURES = `
  WITH a AS (
    SELECT count(*) FILTER (WHERE s <> 'cancelled') AS total,
           count(*) FILTER (WHERE s = 'completed') AS completed,
           count(*) FILTER (WHERE s = 'in_progress') AS in_progress,
           count(*) FILTER (WHERE s = 'overdue') AS overdue
    FROM (SELECT training_effective_status(status, due_date) AS s FROM training_assignments
          WHERE tenant_id = $1::uuid) t)
  SELECT (SELECT count(*) FROM training_courses WHERE tenant_id = $1::uuid)::int AS total_courses,
         a.total::int AS total_assignments, a.completed::int AS completed_count,
         a.in_progress::int AS in_progress_count, a.overdue::int AS overdue_count,
         (CASE WHEN a.total = 0 THEN 0 ELSE round(a.completed * 100.0 / a.total, 2) END)::float8 AS completion_rate,
         COALESCE((SELECT round(avg(completion_time_minutes), 2) FROM training_completions
                   WHERE tenant_id = $1::uuid AND passed), 0)::float8 AS avg_completion_time
  FROM a`;
