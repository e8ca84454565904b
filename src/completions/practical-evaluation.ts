import { Assignment } from '../assignments/assignment.js';
import { builder } from '../core/builder.js';
import { conflict, notFound } from '../core/errors.js';
import * as validate from '../core/validate.js';
import { meetRequirement } from './evidence.js';

/** Practical evaluations: an evaluator watched the trainee do it (OSHA asks who evaluated, and when). */

export const RecordPracticalEvaluationInput = builder.inputType('RecordPracticalEvaluationInput', {
  fields: (t) => ({
    assignmentId: t.id({ required: true }),
    passed: t.boolean({ required: true }),
    score: t.float({ description: '0–100.' }),
    notes: t.string({ description: 'What was observed; at most 5,000 characters.' }),
  }),
});

builder.mutationField('recordPracticalEvaluation', (t) =>
  t.withAuth({ may: 'completions.evaluate' }).prismaField({
    type: Assignment,
    description:
      'Records a practical evaluation of an active assignment (assigned, in progress or overdue: the evaluation ' +
      'happens on the floor, so the trainee need not have started it here) of a course that requires one (admin, ' +
      'safety officer); the evaluator is the caller. Passed, and with every other requirement met, it completes the ' +
      'assignment; failed, the assignment stays open for another evaluation. Kept either way in Assignment.evidence.',
    args: { input: t.arg({ type: RecordPracticalEvaluationInput, required: true }) },
    resolve: async (query, _root, { input }, context) => {
      const { tenantId, userId } = context.caller;
      const id = validate.uuid('input.assignmentId', input.assignmentId);
      const score = input.score == null ? null : validate.number('input.score', input.score, { min: 0, max: 100 });
      const notes = input.notes == null ? null : validate.text('input.notes', input.notes, { max: 5000 }) || null;
      await context.transaction(async (tx) => {
        const assignment = await tx.trainingAssignment.findFirst({
          where: { id, tenantId },
          select: { course: { select: { requiresPracticalEvaluation: true } } },
        });
        if (!assignment) throw notFound('Assignment');
        if (!assignment.course.requiresPracticalEvaluation) {
          throw conflict('The course of this assignment does not require a practical evaluation');
        }
        await meetRequirement(tx, tenantId, context.services.config.publicUrl, {
          assignmentId: id,
          kind: 'practical_evaluation',
          passed: input.passed,
          score,
          recordedBy: userId,
          notes,
        });
      });
      return context.db.trainingAssignment.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
);
