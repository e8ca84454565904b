import { Assignment } from '../assignments/assignment.js';
import { builder } from '../core/builder.js';
import { badInput } from '../core/errors.js';
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

builder.mutationField('completeTrainingAssignment', (t) =>
  t.withAuth({ may: 'assignments.learn' }).prismaField({
    type: Assignment,
    description:
      'Records an attempt at a started assignment (workers: their own). Passed: the assignment is completed ' +
      'and its completion gets expiry and certificate; failed: it can be started again.',
    args: { input: t.arg({ type: CompleteTrainingAssignmentInput, required: true }) },
    resolve: async (query, _root, { input }, context) => {
      const id = validate.uuid('input.assignmentId', input.assignmentId);
      const score = input.score == null ? null : validate.number('input.score', input.score, { min: 0, max: 100 });
      const minutes =
        input.completionTimeMinutes == null
          ? null
          : validate.integer('input.completionTimeMinutes', input.completionTimeMinutes, { min: 1, max: 100_000 });
      if (input.passed === null) throw badInput('input.passed', 'must not be null');
      const attempt = { assignmentId: id, score, passed: input.passed ?? true, completionTimeMinutes: minutes };
      await context.transaction((tx) =>
        recordAttempt(tx, context.caller.tenantId, context.services.config.publicUrl, attempt),
      );
      return context.db.trainingAssignment.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
);
