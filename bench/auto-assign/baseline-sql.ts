import type { CallerTransaction } from '../../src/core/caller/index.js';
import type { AutoAssignOutcome, AutoAssignRun } from '../../src/risk/auto-assign-sql.js';

/**
 * The auto-assignment statement as it was before the risk-loop rules (the
 * stale-score rule and the rearmMargin hysteresis), kept verbatim as the
 * baseline of bench/auto-assign/risk-loop.ts: the new statement is measured
 * against it in the same run. Not used by the API.
 */

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
 * 4. `reached`: entity → users. worker/driver: the profile with that id in this
 *    tenant; zone: users with a shift there ending within the last 30 days or
 *    later (shifts end after they start, so that is "overlapping the last 30
 *    days or the future"); equipment: its operators.
 * 5. `best`: one row per (course, user) — the highest score reaching the user,
 *    ties broken by entity type, entity id and score id — minus users holding a
 *    passed completion of the course that has not expired (no expiry: current;
 *    expires_at today: still current). Active assignments are the index's job.
 * 6–7. insert with the reason text, due date and trigger columns; report counts.
 */
export async function runAutoAssignBaseline(tx: CallerTransaction, run: AutoAssignRun): Promise<AutoAssignOutcome> {
  const { tenantId } = run;
  const scope = run.scope ?? {};
  const entityType = scope.entityType ?? null;
  const entityId = scope.entityId ?? null;
  const entities = scope.entities ?? null;
  const entityTypes = entities && entities.map((entity) => entity.entityType);
  const entityIds = entities && entities.map((entity) => entity.entityId);
  const minRiskScore = scope.minRiskScore ?? 0;
  const [row] = await tx.$queryRaw<OutcomeRow[]>`
  WITH courses AS (
      SELECT c.id, c.entity_type, c.risk_threshold
      FROM training_courses c
      WHERE c.tenant_id = ${tenantId}::uuid AND c.auto_assign_enabled AND c.risk_threshold IS NOT NULL
  ), course_types AS MATERIALIZED (
      SELECT c.id AS course_id, c.risk_threshold, t.entity_type
      FROM courses c
      JOIN unnest(ARRAY['zone', 'driver', 'worker', 'equipment']) AS t(entity_type)
        ON c.entity_type = t.entity_type OR c.entity_type = 'general'
  ), latest AS (
      SELECT DISTINCT ON (s.entity_type, s.entity_id) s.id, s.entity_type, s.entity_id, s.score
      FROM predictive_scores s
      WHERE s.tenant_id = ${tenantId}::uuid
        AND (${entityType}::text IS NULL OR s.entity_type = ${entityType}::text)
        AND (${entityId}::uuid IS NULL OR s.entity_id = ${entityId}::uuid)
        AND (${entityTypes}::text[] IS NULL OR (s.entity_type, s.entity_id) IN (
              SELECT e.entity_type, e.entity_id FROM unnest(${entityTypes}::text[], ${entityIds}::uuid[]) AS e(entity_type, entity_id)))
      ORDER BY s.entity_type, s.entity_id, s.computed_at DESC, s.created_at DESC, s.id DESC
  ), scores AS (
      SELECT * FROM latest WHERE score >= ${minRiskScore}::numeric
  ), matches AS (
      SELECT ct.course_id, ct.risk_threshold, s.id AS score_id, s.entity_type, s.entity_id, s.score
      FROM scores s
      JOIN course_types ct ON ct.entity_type = s.entity_type AND ct.risk_threshold <= s.score
      WHERE s.score >= (SELECT min(c.risk_threshold) FROM courses c)
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
  ), best AS (
      SELECT DISTINCT ON (r.course_id, r.user_id) r.*
      FROM reached r
      ORDER BY r.course_id, r.user_id, r.score DESC, r.entity_type, r.entity_id, r.score_id
  ), created AS (
      INSERT INTO training_assignments (
          tenant_id, course_id, user_id, assigned_by, assignment_type, assignment_reason, due_date, status,
          trigger_score_id, trigger_score, trigger_threshold, trigger_entity_type, trigger_entity_id)
      SELECT ${tenantId}::uuid, b.course_id, b.user_id, ${run.assignedBy}::uuid, 'risk_based',
             format('High risk score (%s) for %s %s', trim_scale(b.score), b.entity_type, b.entity_id),
             training_today() + ${run.dueDays}::int, 'assigned',
             b.score_id, b.score, b.risk_threshold, b.entity_type, b.entity_id
      FROM best b
      WHERE NOT EXISTS (
          SELECT 1 FROM training_completions tc
          WHERE tc.tenant_id = ${tenantId}::uuid AND tc.user_id = b.user_id AND tc.course_id = b.course_id
            AND tc.passed AND (tc.expires_at IS NULL OR tc.expires_at >= training_today()))
      ORDER BY b.course_id, b.user_id
      ON CONFLICT (tenant_id, course_id, user_id) WHERE status IN ('assigned', 'in_progress', 'overdue') DO NOTHING
      RETURNING id
  )
  SELECT (SELECT count(*) FROM created)::int AS assignments_created,
         (SELECT count(*) FROM courses)::int AS courses_checked,
         (SELECT count(*) FROM scores)::int AS scores_checked,
         (SELECT coalesce(array_agg(id::text), '{}') FROM created) AS assignment_ids`;
  if (!row) throw new Error('auto-assignment returned no summary row');
  return {
    assignmentsCreated: row.assignments_created,
    coursesChecked: row.courses_checked,
    scoresChecked: row.scores_checked,
    assignmentIds: row.assignment_ids ?? [],
  };
}
