import { Assignment } from '../assignments/assignment.js';
import type { CallerTransaction } from '../core/caller/index.js';
import { builder } from '../core/builder.js';
import { evidenceRequired } from '../core/errors.js';
import { requirementsOf } from '../courses/requirements.js';
import * as validate from '../core/validate.js';
import { recordAttempt } from './complete-sql.js';

/** Completing an assignment: it writes the attempt's completion (and certificate), so it lives here. */

export const CompleteTrainingAssignmentInput = builder.inputType('CompleteTrainingAssignmentInput', {
  fields: (t) => ({
    assignmentId: t.id({ required: true }),
    score: t.float({ description: '0–100.' }),
    passed: t.boolean({ defaultValue: true, description: 'A failed attempt leaves the assignment re-startable.' }),
    completionTimeMinutes: t.int({ description: 'Minutes spent; more than 0.' }),
  }),
});

/**
 * The requirements (CourseRequirements' field names) of the assignment's course; none when the tenant has no
 * such assignment (recordAttempt then answers NOT_FOUND).
 */
async function requirementsOfAssignment(tx: CallerTransaction, tenantId: string, id: string): Promise<string[]> {
  const assignment = await tx.trainingAssignment.findFirst({
    where: { id, tenantId },
    select: { course: { select: { requiresQuiz: true, requiresContent: true, requiresPracticalEvaluation: true } } },
  });
  if (!assignment) return [];
  return Object.entries(requirementsOf(assignment.course))
    .filter(([, required]) => required)
    .map(([name]) => name);
}

builder.mutationField('completeTrainingAssignment', (t) =>
  t.withAuth({ may: 'completions.record' }).prismaField({
    type: Assignment,
    description:
      'Records the result of an assignment. The assignee (or an admin or safety officer for them) reports the ' +
      'result of a started assignment of a course without requirements (source SELF_REPORT); a course with ' +
      'requirements is completed by its evidence, and reporting a result for it is EVIDENCE_REQUIRED. An ' +
      'integration (role service) records the result of any active assignment of its tenant, started or not ' +
      '(source INTEGRATION). Passed: the assignment is completed and its completion gets expiry and certificate; ' +
      'failed: it can be started again.',
    args: { input: t.arg({ type: CompleteTrainingAssignmentInput, required: true }) },
    resolve: async (query, _root, { input }, context) => {
      const { tenantId, role } = context.caller;
      const { id, score, minutes, passed } = validate.fields({
        id: () => validate.uuid('input.assignmentId', input.assignmentId),
        score: () => (input.score == null ? null : validate.number('input.score', input.score, { min: 0, max: 100 })),
        minutes: () =>
          input.completionTimeMinutes == null
            ? null
            : validate.integer('input.completionTimeMinutes', input.completionTimeMinutes, { min: 1, max: 100_000 }),
        passed: () => validate.present('input.passed', input.passed) ?? true,
      });
      const integration = role === 'service';
      const attempt = {
        assignmentId: id,
        score,
        passed,
        completionTimeMinutes: minutes,
        source: integration ? ('integration' as const) : ('self_report' as const),
      };
      await context.transaction(async (tx) => {
        if (!integration) {
          const requirements = await requirementsOfAssignment(tx, tenantId, id);
          if (requirements.length > 0) throw evidenceRequired(requirements);
        }
        await recordAttempt(tx, tenantId, context.services.config.publicUrl, attempt);
      });
      return context.db.trainingAssignment.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
);
