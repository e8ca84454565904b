import type { RiskEntityTypeValue } from '../assignments/assignment.js';
import { announceCreatedInStatement } from '../assignments/live-channel.js';
import type { CallerTransaction } from '../core/caller/index.js';
import { Prisma } from '../generated/prisma/client.js';

/**
 * Risk-based auto-assignment (steps 1–7 below) as ONE set-based statement,
 * shared by the `autoAssignTraining` mutation, score ingest, the scheduler and
 * the benchmark. It runs inside the caller's transaction, so RLS applies to
 * every table it reads and writes; the explicit tenant filters are there for
 * the indexes. No row travels to Node but the created ids, and only when asked.
 *
 * Idempotent and safe under concurrent runs: the insert's arbiter is the
 * partial unique index training_assignments_one_active_per_user_course, so a
 * user with an active assignment of the course (assigned, in_progress, overdue)
 * is skipped by the database itself, including one a concurrent run has just
 * inserted (ON CONFLICT waits for that transaction, then does nothing). Rows are
 * inserted in (course, user) order, so concurrent runs take those index entries
 * in the same order and cannot deadlock each other.
 */

/**
 * A large tenant's run can take longer than Prisma's 5 s default for an
 * interactive transaction; it is one statement, so a generous bound costs nothing.
 */
export const AUTO_ASSIGN_TIMEOUT_MS = 120_000;

/** Which scores a run considers (step 2). */
export interface AutoAssignScope {
  entityType?: RiskEntityTypeValue | null;
  entityId?: string | null;
  /** Only these entities (what a score ingest just touched). */
  entities?: readonly { entityType: RiskEntityTypeValue; entityId: string }[] | null;
  /** Latest scores below this are ignored (0–100). */
  minRiskScore?: number;
}

export interface AutoAssignRun {
  tenantId: string;
  /** Recorded as assigned_by: the caller who ran or triggered it; null for the scheduler. */
  assignedBy: string | null;
  /** Due date = today (UTC) + dueDays. */
  dueDays: number;
  scope?: AutoAssignScope;
  /** Return the created ids (the mutation loads them); otherwise none travel to Node. */
  returnIds?: boolean;
}

export interface AutoAssignOutcome {
  assignmentsCreated: number;
  /** Auto-assign courses with a threshold (step 1). */
  coursesChecked: number;
  /** Latest scores in scope, at or above minRiskScore (step 2). */
  scoresChecked: number;
  /** The created ids in id order when asked for (returnIds), else empty. */
  assignmentIds: string[];
}

interface OutcomeRow {
  assignments_created: number;
  courses_checked: number;
  scores_checked: number;
  assignment_ids: string[] | null;
}

/**
 * Runs one auto-assignment. Its steps, as CTEs:
 * 1. `courses`: auto-assign courses with a threshold; `course_types` lists each
 *    with the score entity types it answers (`general`: all four), so step 3 is
 *    an equi-join on entity type plus the threshold test. Scores below every
 *    threshold are left out of that join: most entities are not at risk, and
 *    the join is the one step whose cost is scores × courses.
 * 2. `latest`: the newest score per (entity type, entity id) — newest by
 *    computed_at, then created_at, then id, so ties are deterministic — then
 *    `scores` keeps those at or above minRiskScore (an entity whose latest score
 *    has dropped is no longer at risk, whatever it scored before).
 * 3b. `trends` (courses with lead_days only): for entities whose latest score is below a trend course's
 *    threshold, the least-squares line over their scores of the last 30 days (at least 3, rising: its slope at
 *    least three times its standard error, so noise around a level is not a trend); a trend
 *    match is a course whose threshold that line reaches within lead_days of now. Its trigger is the latest
 *    score (below the threshold), so the stale-score and hysteresis rules below judge it like any other, and
 *    `best` prefers a threshold match (always the higher score).
 * 4. `reached`: entity → users. worker/driver: the profile with that id in this
 *    tenant; zone: users with a shift there ending within the last 30 days or
 *    later (shifts end after they start, so that is "overlapping the last 30
 *    days or the future"); equipment: its operators.
 * 5. `history`: per (course, user), when their risk-based assignments of the
 *    course last ended (completed or cancelled) and were last cancelled; then
 *    `eligible` drops the reached rows those forbid:
 *    - stale score: a score computed at or before the last cancellation never
 *      re-creates the cancelled assignment; only a newer score can;
 *    - hysteresis (the course's rearm_margin, null: off): after an assignment
 *      ended, the course comes back only once the entity has scored below
 *      threshold − rearm_margin since then (and its latest score, the one
 *      reaching the user, is again at or above the threshold).
 *    `best`: one row per (course, user) — the highest eligible score reaching
 *    the user, ties broken by entity type, entity id and score id — minus users
 *    holding a passed completion of the course that has not expired (no expiry:
 *    current; expires_at today: still current). Active assignments are the
 *    index's job. The trigger columns record that score, so an assignment
 *    always says which score created it.
 * 6–7. insert with the reason text, due date and trigger columns; announce the new assignments live (sent
 *    at commit); report counts and, when asked, the new ids.
 */
export async function runAutoAssign(tx: CallerTransaction, run: AutoAssignRun): Promise<AutoAssignOutcome> {
  const { tenantId } = run;
  const scope = run.scope ?? {};
  const entityType = scope.entityType ?? null;
  const entityId = scope.entityId ?? null;
  const entities = scope.entities ?? null;
  const entityTypes = entities && entities.map((entity) => entity.entityType);
  const entityIds = entities && entities.map((entity) => entity.entityId);
  const minRiskScore = scope.minRiskScore ?? 0;
  // The scores in scope (alias s): latest and trends read the same ones.
  const inScope = Prisma.sql`(${entityType}::text IS NULL OR s.entity_type = ${entityType}::text)
        AND (${entityId}::uuid IS NULL OR s.entity_id = ${entityId}::uuid)
        AND (${entityTypes}::text[] IS NULL OR (s.entity_type, s.entity_id) IN (
              SELECT e.entity_type, e.entity_id FROM unnest(${entityTypes}::text[], ${entityIds}::uuid[]) AS e(entity_type, entity_id)))`;
  const [row] = await tx.$queryRaw<OutcomeRow[]>`
  WITH courses AS (
      SELECT c.id, c.entity_type, c.risk_threshold, c.rearm_margin, c.lead_days
      FROM training_courses c
      WHERE c.tenant_id = ${tenantId}::uuid AND c.auto_assign_enabled AND c.risk_threshold IS NOT NULL
  ), course_types AS MATERIALIZED (
      SELECT c.id AS course_id, c.risk_threshold, c.rearm_margin, c.lead_days, t.entity_type
      FROM courses c
      JOIN unnest(ARRAY['zone', 'driver', 'worker', 'equipment']) AS t(entity_type)
        ON c.entity_type = t.entity_type OR c.entity_type = 'general'
  ), latest AS (
      SELECT DISTINCT ON (s.entity_type, s.entity_id) s.id, s.entity_type, s.entity_id, s.score, s.computed_at
      FROM predictive_scores s
      WHERE s.tenant_id = ${tenantId}::uuid
        AND ${inScope}
      ORDER BY s.entity_type, s.entity_id, s.computed_at DESC, s.created_at DESC, s.id DESC
  ), scores AS (
      SELECT * FROM latest WHERE score >= ${minRiskScore}::numeric
  ), trends AS (
      SELECT f.entity_type, f.entity_id, f.slope, f.intercept + f.slope * (extract(epoch FROM now()) / 86400) AS line_now
      FROM (
          SELECT r.entity_type, r.entity_id, count(*) AS n, regr_slope(r.score, r.day) AS slope,
                 regr_intercept(r.score, r.day) AS intercept, regr_sxx(r.score, r.day) AS sxx,
                 regr_syy(r.score, r.day) AS syy, regr_sxy(r.score, r.day) AS sxy
          FROM (
              SELECT s.entity_type, s.entity_id, s.score::float8 AS score, extract(epoch FROM s.computed_at) / 86400 AS day
              FROM predictive_scores s
              WHERE EXISTS (SELECT 1 FROM courses c WHERE c.lead_days IS NOT NULL)
                AND s.tenant_id = ${tenantId}::uuid AND s.computed_at > now() - interval '30 days' AND ${inScope}
          ) AS r
          GROUP BY r.entity_type, r.entity_id
      ) AS f
      WHERE f.n >= 3 AND f.slope > 0
        -- Rising beyond the noise: the slope at least three times its standard error (t ≥ 3).
        AND f.slope ^ 2 * f.sxx * (f.n - 2) >= 9 * (f.syy - f.sxy ^ 2 / f.sxx)
  ), matches AS (
      SELECT ct.course_id, ct.risk_threshold, ct.rearm_margin, s.id AS score_id, s.entity_type, s.entity_id, s.score,
             s.computed_at, NULL::float8 AS slope, NULL::float8 AS line_now
      FROM scores s
      JOIN course_types ct ON ct.entity_type = s.entity_type AND ct.risk_threshold <= s.score
      WHERE s.score >= (SELECT min(c.risk_threshold) FROM courses c)
      UNION ALL
      SELECT ct.course_id, ct.risk_threshold, ct.rearm_margin, s.id, s.entity_type, s.entity_id, s.score,
             s.computed_at, t.slope, t.line_now
      FROM trends t
      JOIN scores s ON s.entity_type = t.entity_type AND s.entity_id = t.entity_id
      JOIN course_types ct ON ct.entity_type = s.entity_type AND ct.lead_days IS NOT NULL
        AND s.score < ct.risk_threshold AND t.line_now + t.slope * ct.lead_days >= ct.risk_threshold
  ), reached AS (
      SELECT m.*, p.id AS user_id
      FROM matches m
      JOIN profiles p ON p.tenant_id = ${tenantId}::uuid AND p.id = m.entity_id
      WHERE m.entity_type IN ('worker', 'driver')
      UNION ALL
      SELECT m.*, sh.user_id
      FROM matches m
      JOIN shift_assignments sh
        ON sh.tenant_id = ${tenantId}::uuid AND sh.zone_id = m.entity_id AND sh.ends_at > now() - interval '30 days'
      WHERE m.entity_type = 'zone'
      UNION ALL
      SELECT m.*, eo.user_id
      FROM matches m
      JOIN equipment_operators eo ON eo.tenant_id = ${tenantId}::uuid AND eo.equipment_id = m.entity_id
      WHERE m.entity_type = 'equipment'
  ), history AS (
      SELECT a.course_id, a.user_id,
             max(a.cancelled_at) FILTER (WHERE a.status = 'cancelled') AS last_cancelled_at,
             max(coalesce(a.completed_at, a.cancelled_at)) AS last_ended_at
      FROM training_assignments a
      WHERE a.tenant_id = ${tenantId}::uuid AND a.assignment_type = 'risk_based' AND a.status IN ('completed', 'cancelled')
        AND a.course_id IN (SELECT c.id FROM courses c)
      GROUP BY a.course_id, a.user_id
  ), eligible AS (
      SELECT r.*
      FROM reached r
      LEFT JOIN history h ON h.course_id = r.course_id AND h.user_id = r.user_id
      WHERE h.course_id IS NULL
         OR ((h.last_cancelled_at IS NULL OR r.computed_at > h.last_cancelled_at)
             AND (r.rearm_margin IS NULL OR h.last_ended_at IS NULL OR EXISTS (
                 SELECT 1 FROM predictive_scores p
                 WHERE p.tenant_id = ${tenantId}::uuid AND p.entity_type = r.entity_type AND p.entity_id = r.entity_id
                   AND p.computed_at > h.last_ended_at AND p.computed_at <= r.computed_at
                   AND p.score < r.risk_threshold - r.rearm_margin)))
  ), best AS (
      SELECT DISTINCT ON (r.course_id, r.user_id) r.*
      FROM eligible r
      ORDER BY r.course_id, r.user_id, r.score DESC, r.entity_type, r.entity_id, r.score_id
  ), created AS (
      INSERT INTO training_assignments (
          tenant_id, course_id, user_id, assigned_by, assignment_type, assignment_reason, due_date, status,
          trigger_score_id, trigger_score, trigger_threshold, trigger_entity_type, trigger_entity_id)
      SELECT ${tenantId}::uuid, b.course_id, b.user_id, ${run.assignedBy}::uuid, 'risk_based',
             CASE WHEN b.slope IS NULL
                  THEN format('High risk score (%s) for %s %s', trim_scale(b.score), b.entity_type, b.entity_id)
                  ELSE format('Rising score: %s, +%s a day, reaches %s around %s', trim_scale(b.score),
                              round(b.slope::numeric, 1), trim_scale(b.risk_threshold),
                              training_today() + greatest(0, ceil((b.risk_threshold - b.line_now) / b.slope))::int)
             END,
             training_today() + ${run.dueDays}::int, 'assigned',
             b.score_id, b.score, b.risk_threshold, b.entity_type, b.entity_id
      FROM best b
      WHERE NOT EXISTS (
          SELECT 1 FROM training_completions tc
          WHERE tc.tenant_id = ${tenantId}::uuid AND tc.user_id = b.user_id AND tc.course_id = b.course_id
            AND tc.passed AND (tc.expires_at IS NULL OR tc.expires_at >= training_today()))
      ORDER BY b.course_id, b.user_id
      ON CONFLICT (tenant_id, course_id, user_id) WHERE status IN ('assigned', 'in_progress', 'overdue') DO NOTHING
      RETURNING id, user_id
  )
  SELECT (SELECT count(*) FROM created)::int AS assignments_created,
         (SELECT count(*) FROM courses)::int AS courses_checked,
         (SELECT count(*) FROM scores)::int AS scores_checked,
         CASE WHEN ${run.returnIds ?? false}::boolean THEN (SELECT array_agg(c.id::text ORDER BY c.id) FROM created c)
         END AS assignment_ids,
         ${announceCreatedInStatement(tenantId, 'created')} AS announced`;
  if (!row) throw new Error('auto-assignment returned no summary row');
  return {
    assignmentsCreated: row.assignments_created,
    coursesChecked: row.courses_checked,
    scoresChecked: row.scores_checked,
    assignmentIds: row.assignment_ids ?? [],
  };
}
