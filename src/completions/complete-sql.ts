import { randomUUID } from 'node:crypto';
import { refuseTransition } from '../assignments/refusal.js';
import type { CallerTransaction } from '../core/caller/index.js';
import { announceQualificationChange } from '../users/qualification-change.js';
import { certificatePdfPath, newCertificateCode } from './certificate-code.js';

/** What completed an assignment, as stored (GraphQL: SELF_REPORT, QUIZ, …). */
export const COMPLETION_SOURCES = ['self_report', 'quiz', 'content', 'practical_evaluation', 'integration'] as const;
export type CompletionSourceValue = (typeof COMPLETION_SOURCES)[number];

/** One attempt at an assignment, as validated by `completeTrainingAssignment` or met by its evidence. */
export interface Attempt {
  assignmentId: string;
  /** Null for a completion of evidence: the database takes it from the evidence (the quiz's first). */
  score: number | null;
  passed: boolean;
  completionTimeMinutes: number | null;
  source: CompletionSourceValue;
}

function addMonths(day: Date, months: number): Date {
  const result = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth() + months, day.getUTCDate()));
  // 31 Jan + 1 month is the last day of February, not 3 March.
  if (result.getUTCDate() !== day.getUTCDate()) result.setUTCDate(0);
  return result;
}

/**
 * Whether the user's relevant latest risk score is at or above the course's threshold now (false for a
 * course without threshold). Runs in the completion's transaction through the SECURITY DEFINER function
 * `training_user_at_risk` (migration 20261202000300): a worker completing cannot read scores, and learns
 * only this boolean about themselves. It takes the tenant first, so that a distributed database runs the call on
 * the tenant's node in this transaction's connection (migration 20261218300000_risk_check_by_tenant).
 */
async function userAtRisk(tx: CallerTransaction, tenantId: string, courseId: string, userId: string): Promise<boolean> {
  const [row] = await tx.$queryRaw<[{ at_risk: boolean }]>`
    SELECT training_user_at_risk(${tenantId}::uuid, ${courseId}::uuid, ${userId}::uuid) AS at_risk`;
  return row.at_risk;
}

/**
 * Records the attempt in the caller's transaction: one conditional UPDATE moves the assignment on
 * (passed: completed; failed: assigned again, re-startable), so a repeated or concurrent call never
 * applies twice; then the completion with its expiry, and the certificate of a passed attempt at a
 * certifying course. A self-report needs the assignment started; an integration's result or the
 * evidence meeting the last requirement completes it whether or not it was started here. A refused
 * transition is NOT_FOUND or CONFLICT and writes nothing. Returns the completion's id.
 */
export async function recordAttempt(
  tx: CallerTransaction,
  tenantId: string,
  publicUrl: string,
  attempt: Attempt,
): Promise<string> {
  const { assignmentId: id, passed } = attempt;
  const completedAt = new Date();
  const { count } = await tx.trainingAssignment.updateMany({
    where: {
      id,
      tenantId,
      ...(attempt.source === 'self_report'
        ? { status: { in: ['in_progress', 'overdue'] }, startedAt: { not: null } }
        : { status: { in: ['assigned', 'in_progress', 'overdue'] } }),
    },
    data: passed ? { status: 'completed', completedAt } : { status: 'assigned', startedAt: null },
  });
  if (count === 0) await refuseTransition(tx, tenantId, id, 'complete');
  const assignment = await tx.trainingAssignment.findUniqueOrThrow({
    where: { id },
    select: {
      courseId: true,
      userId: true,
      course: { select: { expiryMonths: true, highRiskExpiryMonths: true, issuesCertificate: true } },
    },
  });
  const completionId = randomUUID();
  const { expiryMonths, highRiskExpiryMonths, issuesCertificate } = assignment.course;
  // Risk-adaptive validity: at or above the course's threshold now, the shorter validity applies.
  const months =
    passed && highRiskExpiryMonths !== null && (await userAtRisk(tx, tenantId, assignment.courseId, assignment.userId))
      ? highRiskExpiryMonths
      : expiryMonths;
  const expiresAt = passed && months ? addMonths(completedAt, months) : null;
  const code = passed && issuesCertificate ? newCertificateCode() : null;
  await tx.trainingCompletion.create({
    data: {
      id: completionId,
      tenantId,
      assignmentId: id,
      courseId: assignment.courseId,
      userId: assignment.userId,
      score: attempt.score,
      passed,
      completionTimeMinutes: attempt.completionTimeMinutes,
      completedAt,
      expiresAt,
      certificateUrl: code ? publicUrl + certificatePdfPath(code) : null,
      source: attempt.source,
    },
    select: { id: true },
  });
  await announceQualificationChange(tx, tenantId, [assignment.userId]);
  // The certificate is written in the completion's own transaction: both or neither.
  if (code) {
    await tx.certificate.create({
      data: {
        tenantId,
        completionId,
        userId: assignment.userId,
        courseId: assignment.courseId,
        code,
        issuedAt: completedAt,
        expiresAt,
      },
      select: { id: true },
    });
  }
  return completionId;
}
