import { announceCreatedInStatement } from '../assignments/live-channel.js';
import type { CallerTransaction } from '../core/caller/index.js';

/**
 * Recertification for one tenant as ONE set-based statement, shared by the
 * `runRecertification` mutation and the daily scheduled job. It runs in the
 * caller's transaction (RLS applies).
 *
 * 1. `expiring`: passed completions whose expiry falls in their course's window
 *    (today ≤ expires_at ≤ today + recertify_days_before; null window: off) and
 *    that are still the user's current one for the course (no other passed
 *    completion expires later or never).
 * 2. `judged`: whether to renew. A `required` course, or one whose completion was
 *    not risk-driven, always; a risk-driven one (the completed assignment has a
 *    trigger: risk-based, or a renewal of one) only when the trigger entity's
 *    latest score is still at or above the course's threshold.
 * 3. `created`: an AUTO assignment per renewed completion, due on the expiry
 *    date, carrying the trigger forward, unless the user has an active assignment
 *    of the course. ON CONFLICT DO NOTHING covers both unique indexes: one
 *    active per (course, user), one renewal per completion — so repeated and
 *    concurrent runs create each renewal once. Its outbox row
 *    (RECERTIFICATION_ASSIGNED) comes from the assignments' insert trigger; the new
 *    assignments are announced live by the statement itself (sent at commit).
 * 4. `warned`: CERTIFICATE_EXPIRING to every holder in step 1, renewed or not,
 *    once per completion.
 */

export const RECERTIFICATION_TIMEOUT_MS = 120_000;

export interface RecertificationOutcome {
  assignmentsCreated: number;
  notificationsWritten: number;
  assignmentIds: string[];
}

export async function runRecertification(tx: CallerTransaction, tenantId: string): Promise<RecertificationOutcome> {
  const [row] = await tx.$queryRaw<{ created: number; warned: number; ids: string[] }[]>`
  WITH expiring AS (
      SELECT tc.id AS completion_id, tc.user_id, tc.course_id, tc.expires_at,
             co.required, co.risk_threshold,
             a.trigger_score_id, a.trigger_score, a.trigger_threshold, a.trigger_entity_type, a.trigger_entity_id
      FROM training_completions tc
      JOIN training_courses co ON co.tenant_id = tc.tenant_id AND co.id = tc.course_id
      JOIN training_assignments a ON a.tenant_id = tc.tenant_id AND a.id = tc.assignment_id
      WHERE tc.tenant_id = ${tenantId}::uuid AND tc.passed AND co.recertify_days_before IS NOT NULL
        AND tc.expires_at BETWEEN training_today() AND training_today() + co.recertify_days_before
        AND NOT EXISTS (
            SELECT 1 FROM training_completions later
            WHERE later.tenant_id = tc.tenant_id AND later.user_id = tc.user_id AND later.course_id = tc.course_id
              AND later.passed AND later.id <> tc.id
              AND (later.expires_at IS NULL OR later.expires_at > tc.expires_at))
  ), judged AS (
      SELECT e.*,
             (e.required OR e.trigger_entity_id IS NULL OR EXISTS (
                 SELECT 1 FROM (
                     SELECT s.score FROM predictive_scores s
                     WHERE s.tenant_id = ${tenantId}::uuid AND s.entity_type = e.trigger_entity_type
                       AND s.entity_id = e.trigger_entity_id
                     ORDER BY s.computed_at DESC, s.created_at DESC, s.id DESC
                     LIMIT 1) latest
                 WHERE e.risk_threshold IS NOT NULL AND latest.score >= e.risk_threshold)) AS renew
      FROM expiring e
  ), created AS (
      INSERT INTO training_assignments (
          tenant_id, course_id, user_id, assigned_by, assignment_type, assignment_reason, due_date, status,
          recertification_of, trigger_score_id, trigger_score, trigger_threshold, trigger_entity_type, trigger_entity_id)
      SELECT ${tenantId}::uuid, j.course_id, j.user_id, NULL, 'auto',
             'Recertification: certificate expires on ' || to_char(j.expires_at, 'YYYY-MM-DD'),
             j.expires_at, 'assigned', j.completion_id,
             j.trigger_score_id, j.trigger_score, j.trigger_threshold, j.trigger_entity_type, j.trigger_entity_id
      FROM judged j
      WHERE j.renew AND NOT EXISTS (
          SELECT 1 FROM training_assignments act
          WHERE act.tenant_id = ${tenantId}::uuid AND act.user_id = j.user_id AND act.course_id = j.course_id
            AND act.status IN ('assigned', 'in_progress', 'overdue'))
      ORDER BY j.course_id, j.user_id
      ON CONFLICT DO NOTHING
      RETURNING id, user_id
  ), warned AS (
      INSERT INTO notifications (tenant_id, user_id, kind, completion_id, subject)
      SELECT ${tenantId}::uuid, j.user_id, 'certificate_expiring', j.completion_id, j.completion_id::text
      FROM judged j
      ON CONFLICT (tenant_id, user_id, kind, subject) DO NOTHING
      RETURNING 1
  )
  SELECT (SELECT count(*) FROM created)::int AS created,
         (SELECT count(*) FROM warned)::int AS warned,
         (SELECT coalesce(array_agg(c.id::text ORDER BY c.id), '{}') FROM created c) AS ids,
         ${announceCreatedInStatement(tenantId, 'created')} AS announced`;
  if (!row) throw new Error('recertification returned no summary row');
  return { assignmentsCreated: row.created, notificationsWritten: row.warned, assignmentIds: row.ids };
}
