import type { CallerTransaction } from '../core/caller/index.js';
import { meetRequirement, retractRequirement } from '../completions/evidence.js';
import type { ClosedAttempt } from './attempt-sql.js';

/**
 * What a quiz result does to its assignment: a passed attempt is the quiz's evidence (which completes the
 * assignment when it was the last requirement); a pass taken back by a regrade retracts it. Assignments no longer
 * active (cancelled, or completed meanwhile) keep what they have.
 */

/** Records the passed attempts among those just closed or regraded, in the caller's transaction. */
export async function recordPasses(
  tx: CallerTransaction,
  tenantId: string,
  publicUrl: string,
  attempts: readonly ClosedAttempt[],
): Promise<void> {
  const passed = attempts.filter((attempt) => attempt.passed);
  if (passed.length === 0) return;
  const active = new Set(
    (
      await tx.$queryRaw<{ id: string }[]>`
        SELECT id::text FROM training_assignments
        WHERE tenant_id = ${tenantId}::uuid AND id = ANY(${passed.map((a) => a.assignment_id)}::uuid[])
          AND status IN ('assigned', 'in_progress', 'overdue')`
    ).map((row) => row.id),
  );
  // Sequential: each locks its assignment; two passes of one assignment (a regrade) record one piece of evidence.
  for (const attempt of passed) {
    if (!active.delete(attempt.assignment_id)) continue;
    await meetRequirement(tx, tenantId, publicUrl, {
      assignmentId: attempt.assignment_id,
      kind: 'quiz',
      passed: true,
      score: attempt.score,
      recordedBy: null,
    });
  }
}

/** Takes back the quiz evidence of assignments whose passes a regrade turned into failures. */
export async function retractPasses(tx: CallerTransaction, tenantId: string, assignmentIds: string[]): Promise<void> {
  await retractRequirement(tx, tenantId, { assignmentIds, kind: 'quiz', reason: 'regrade' });
}
