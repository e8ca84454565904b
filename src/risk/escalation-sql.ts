import type { CallerTransaction } from '../core/caller/index.js';

/**
 * Risk escalation: a passed completion of a risk-based assignment whose course
 * has `escalate_after_days` set, at least that many days old, whose entity's
 * latest score (newest by computed_at, then created_at, then id, as
 * auto-assignment reads it) is still at or above the course's threshold, gets
 * one row in risk_escalations — once per completion, whatever the number of
 * runs (the unique key (tenant_id, completion_id) is the arbiter, so concurrent
 * runs cannot both insert it either).
 *
 * ONE set-based statement, in the caller's transaction under RLS. The
 * RISK_NOT_REDUCED notification to each of the tenant's safety officers is a
 * further CTE reading `escalated` (the rows inserted) in this very statement, so
 * a rolled-back run notifies nobody and a repeated one nobody twice.
 */
export interface EscalationOutcome {
  escalated: number;
  escalationIds: string[];
}

export async function runRiskEscalation(tx: CallerTransaction, tenantId: string): Promise<EscalationOutcome> {
  const [row] = await tx.$queryRaw<{ escalated: number; ids: string[] | null }[]>`
  WITH due AS (
      SELECT tc.id AS completion_id, tc.completed_at, a.id AS assignment_id, a.course_id, a.user_id,
             a.trigger_entity_type AS entity_type, a.trigger_entity_id AS entity_id, a.trigger_score,
             c.risk_threshold
      FROM training_courses c
      JOIN training_assignments a
        ON a.tenant_id = c.tenant_id AND a.course_id = c.id
       AND a.assignment_type = 'risk_based' AND a.status = 'completed' AND a.trigger_entity_id IS NOT NULL
      JOIN training_completions tc
        ON tc.tenant_id = a.tenant_id AND tc.assignment_id = a.id AND tc.passed
       AND tc.completed_at <= now() - make_interval(days => c.escalate_after_days)
      WHERE c.tenant_id = ${tenantId}::uuid AND c.escalate_after_days IS NOT NULL AND c.risk_threshold IS NOT NULL
        AND NOT EXISTS (
            SELECT 1 FROM risk_escalations e WHERE e.tenant_id = tc.tenant_id AND e.completion_id = tc.id)
  ), still AS (
      SELECT d.*, s.id AS score_id, s.score
      FROM due d
      CROSS JOIN LATERAL (
          SELECT p.id, p.score FROM predictive_scores p
          WHERE p.tenant_id = ${tenantId}::uuid AND p.entity_type = d.entity_type AND p.entity_id = d.entity_id
          ORDER BY p.computed_at DESC, p.created_at DESC, p.id DESC
          LIMIT 1) s
      WHERE s.score >= d.risk_threshold
  ), escalated AS (
      INSERT INTO risk_escalations (
          tenant_id, completion_id, assignment_id, course_id, user_id, entity_type, entity_id,
          score_before, score_id, score_now, threshold, completed_at)
      SELECT ${tenantId}::uuid, s.completion_id, s.assignment_id, s.course_id, s.user_id, s.entity_type, s.entity_id,
             coalesce(s.trigger_score, s.score), s.score_id, s.score, s.risk_threshold, s.completed_at
      FROM still s
      ORDER BY s.completion_id
      ON CONFLICT (tenant_id, completion_id) DO NOTHING
      RETURNING id, completion_id, assignment_id
  ), notified AS (
      INSERT INTO notifications (tenant_id, user_id, kind, assignment_id, completion_id, subject)
      SELECT ${tenantId}::uuid, officer.id, 'risk_not_reduced', e.assignment_id, e.completion_id, e.completion_id::text
      FROM escalated e
      JOIN profiles officer ON officer.tenant_id = ${tenantId}::uuid AND officer.role = 'safety_officer'
      ORDER BY officer.id, e.completion_id
      ON CONFLICT (tenant_id, user_id, kind, subject) DO NOTHING
      RETURNING 1
  )
  SELECT (SELECT count(*) FROM escalated)::int AS escalated,
         (SELECT coalesce(array_agg(id::text ORDER BY id), '{}') FROM escalated) AS ids`;
  return { escalated: row?.escalated ?? 0, escalationIds: row?.ids ?? [] };
}
