import { refuseTransition } from '../assignments/refusal.js';
import type { CallerTransaction } from '../core/caller/index.js';
import { notFound } from '../core/errors.js';
import { recordAttempt } from './complete-sql.js';
import { announceQualificationChange } from '../users/qualification-change.js';

/**
 * Evidence towards completing an assignment, and the completion it earns. A course may require a passed quiz,
 * its content done and a practical evaluation; the features that produce each piece (the quiz's submit, the
 * content's statements, `recordPracticalEvaluation`) call `meetRequirement` in their own transaction, and the one
 * that meets the last requirement writes the completion there. The database checks the same rules
 * (migration 20261207000100_completion_evidence): nobody writes a completion of such a course without it.
 */

/** The kinds of evidence, as stored (GraphQL: QUIZ, CONTENT, PRACTICAL_EVALUATION), in their order of precedence. */
export const EVIDENCE_KINDS = ['quiz', 'content', 'practical_evaluation'] as const;
export type EvidenceKind = (typeof EVIDENCE_KINDS)[number];

export interface Evidence {
  assignmentId: string;
  kind: EvidenceKind;
  passed: boolean;
  /** 0–100 (content: its scaled score as a percentage). */
  score: number | null;
  /** Who recorded it: the evaluator of a practical evaluation; null for the system. */
  recordedBy: string | null;
  notes?: string | null;
}

interface LockedAssignment {
  user_id: string;
  status: string;
  quiz: boolean;
  content: boolean;
  practical_evaluation: boolean;
}

/** The kinds the course of a locked assignment requires. */
const requiredKinds = (row: LockedAssignment): EvidenceKind[] => EVIDENCE_KINDS.filter((kind) => row[kind]);

/**
 * Records one piece of evidence in the caller's transaction; when it makes the latest evidence of every kind the
 * course requires a passed one, also writes the completion (source: this kind; score: the quiz's, else the
 * content's, else the evaluation's; expiry and certificate as any passed attempt) and completes the assignment.
 * Evidence of a kind the course does not require is kept and completes nothing. The assignment must be active
 * (assigned, in progress or overdue): NOT_FOUND or CONFLICT otherwise, and nothing is written. The assignment row
 * is locked first, so two pieces recorded at once (an evaluation while the quiz is submitted) see each other and
 * exactly one of them completes it.
 */
export async function meetRequirement(
  tx: CallerTransaction,
  tenantId: string,
  publicUrl: string,
  evidence: Evidence,
): Promise<{ completionId: string | null }> {
  const { assignmentId } = evidence;
  const [assignment] = await tx.$queryRaw<LockedAssignment[]>`
    SELECT a.user_id, a.status, c.requires_quiz AS quiz, c.requires_content AS content,
           c.requires_practical_evaluation AS practical_evaluation
    FROM training_assignments a
    JOIN training_courses c ON c.tenant_id = a.tenant_id AND c.id = a.course_id
    WHERE a.tenant_id = ${tenantId}::uuid AND a.id = ${assignmentId}::uuid
    FOR UPDATE OF a`;
  if (!assignment) throw notFound('Assignment');
  if (!['assigned', 'in_progress', 'overdue'].includes(assignment.status)) {
    await refuseTransition(tx, tenantId, assignmentId, 'record evidence for');
  }
  await tx.trainingEvidence.create({
    data: {
      tenantId,
      assignmentId,
      userId: assignment.user_id,
      kind: evidence.kind,
      passed: evidence.passed,
      score: evidence.score,
      notes: evidence.notes ?? null,
      recordedBy: evidence.recordedBy,
    },
    select: { id: true },
  });
  const required = requiredKinds(assignment);
  if (!evidence.passed || !required.includes(evidence.kind)) return { completionId: null };
  const latest = await tx.$queryRaw<{ kind: EvidenceKind; passed: boolean }[]>`
    SELECT DISTINCT ON (kind) kind, passed FROM training_evidence
    WHERE tenant_id = ${tenantId}::uuid AND assignment_id = ${assignmentId}::uuid AND kind = ANY(${required}::text[])
    ORDER BY kind, recorded_at DESC, id DESC`;
  if (latest.filter((row) => row.passed).length < required.length) return { completionId: null };
  // The score is left to the database, which takes it from the evidence it checks.
  const completionId = await recordAttempt(tx, tenantId, publicUrl, {
    assignmentId,
    score: null,
    passed: true,
    completionTimeMinutes: null,
    source: evidence.kind,
  });
  return { completionId };
}

/**
 * Takes back evidence of `kind` from these assignments, in a few statements whatever their number (a quiz
 * regraded after its key was fixed): where the latest evidence of that kind passed, a failed one is recorded
 * (notes: `reason`); a passed completion that stood on it is marked failed (its expiry dropped, its evidence entry
 * of that kind no longer passing), its certificate revoked with `reason`, its assignment reopened (assigned, to be
 * started again, as after a failed attempt; not when the user already has an active assignment of the course) and
 * its holder notified (COMPLETION_RETRACTED). Qualifications follow
 * from the completion and the revocation. Runs as an admin or safety officer (they revoke certificates); returns
 * the completions retracted.
 */
export async function retractRequirement(
  tx: CallerTransaction,
  tenantId: string,
  retraction: { assignmentIds: string[]; kind: EvidenceKind; reason: string },
): Promise<{ completionIds: string[] }> {
  const { assignmentIds, kind, reason } = retraction;
  if (assignmentIds.length === 0) return { completionIds: [] };
  // Each part of the statement runs to completion whether or not the final SELECT reads it.
  const rows = await tx.$queryRaw<{ id: string; user_id: string }[]>`
    WITH latest AS (
      SELECT DISTINCT ON (e.assignment_id) e.assignment_id, e.user_id, e.passed
      FROM training_evidence e
      WHERE e.tenant_id = ${tenantId}::uuid AND e.assignment_id = ANY(${assignmentIds}::uuid[]) AND e.kind = ${kind}
      ORDER BY e.assignment_id, e.recorded_at DESC, e.id DESC
    ), taken_back AS (
      INSERT INTO training_evidence (tenant_id, assignment_id, user_id, kind, passed, notes, recorded_by)
      SELECT ${tenantId}::uuid, l.assignment_id, l.user_id, ${kind}, false, ${reason}, app_user_id()
      FROM latest l WHERE l.passed
      RETURNING assignment_id
    ), retracted AS (
      UPDATE training_completions tc
      SET passed = false, expires_at = NULL,
          evidence = (SELECT jsonb_agg(CASE WHEN x.entry->>'kind' = ${kind}
                                            THEN x.entry || '{"passed": false}'::jsonb ELSE x.entry END
                                       ORDER BY x.n)
                      FROM jsonb_array_elements(tc.evidence) WITH ORDINALITY AS x(entry, n))
      FROM taken_back t
      WHERE tc.tenant_id = ${tenantId}::uuid AND tc.assignment_id = t.assignment_id AND tc.passed
        AND tc.evidence @> jsonb_build_array(jsonb_build_object('kind', ${kind}::text))
      RETURNING tc.id, tc.assignment_id, tc.user_id, tc.course_id, tc.completed_at
    ), revoked AS (
      UPDATE certificates c SET revoked_at = now(), revoked_by = app_user_id(), revoke_reason = ${reason}
      FROM retracted r
      WHERE c.tenant_id = ${tenantId}::uuid AND c.completion_id = r.id AND c.revoked_at IS NULL
    ), reopened AS (
      -- One active assignment per user and course: the latest retracted one is reopened, unless the user already
      -- has an active one of the course (a renewal), which is then the one to take.
      UPDATE training_assignments a SET status = 'assigned', started_at = NULL, completed_at = NULL
      FROM (SELECT DISTINCT ON (user_id, course_id) assignment_id FROM retracted
            ORDER BY user_id, course_id, completed_at DESC) r
      WHERE a.tenant_id = ${tenantId}::uuid AND a.id = r.assignment_id AND a.status = 'completed'
        AND NOT EXISTS (SELECT 1 FROM training_assignments o
                        WHERE o.tenant_id = a.tenant_id AND o.user_id = a.user_id AND o.course_id = a.course_id
                          AND o.status IN ('assigned', 'in_progress', 'overdue'))
    ), notified AS (
      INSERT INTO notifications (tenant_id, user_id, kind, assignment_id, completion_id, subject)
      SELECT ${tenantId}::uuid, r.user_id, 'completion_retracted', r.assignment_id, r.id, r.id::text
      FROM retracted r
      ON CONFLICT (tenant_id, user_id, kind, subject) DO NOTHING
    )
    SELECT r.id, r.user_id::text FROM retracted r ORDER BY r.id`;
  // The retracted completions (and their revoked certificates) no longer qualify their holders.
  await announceQualificationChange(tx, tenantId, [...new Set(rows.map((row) => row.user_id))]);
  return { completionIds: rows.map((row) => row.id) };
}
