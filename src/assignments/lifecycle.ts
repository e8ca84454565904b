import { builder } from '../core/builder.js';
import { conflict, notFound } from '../core/errors.js';
import { sqlState } from '../core/database-errors.js';
import { UNIQUE_VIOLATION } from '../core/sqlstate.js';
import * as validate from '../core/validate.js';
import { Assignment } from './assignment.js';
import { announceAssignmentsCreated } from './live-channel.js';
import { refuseTransition } from './refusal.js';

/**
 * The assignment life cycle: assign → start → complete, cancel, and the overdue sweep. Assigning and
 * starting are here; completing writes a completion, so it is completions/complete.ts; cancelling and
 * the sweep are cancel-and-sweep.ts. Every transition is one conditional UPDATE, so a concurrent or
 * repeated call can never apply twice; a refused transition is a CONFLICT and changes nothing.
 */

export const AssignTrainingCourseInput = builder.inputType('AssignTrainingCourseInput', {
  fields: (t) => ({
    courseId: t.id({ required: true }),
    userId: t.id({ required: true }),
    dueDate: t.field({ type: 'Date', description: 'Today or later.' }),
    assignmentReason: t.string(),
  }),
});

builder.mutationFields((t) => ({
  assignTrainingCourse: t.withAuth({ may: 'assignments.manage' }).prismaField({
    type: Assignment,
    description: 'Assigns a course to a user by hand (admin, safety officer).',
    args: { input: t.arg({ type: AssignTrainingCourseInput, required: true }) },
    resolve: async (query, _root, { input }, context) => {
      const caller = context.caller;
      const { courseId, userId, dueDate, reason } = validate.fields({
        courseId: () => validate.uuid('input.courseId', input.courseId),
        userId: () => validate.uuid('input.userId', input.userId),
        dueDate: () => (input.dueDate ? validate.notInPast('input.dueDate', input.dueDate) : null),
        reason: () =>
          input.assignmentReason
            ? validate.text('input.assignmentReason', input.assignmentReason, { max: 1000 }) || null
            : null,
      });
      const id = await context
        .transaction(async (tx) => {
          const [course, user] = await Promise.all([
            tx.trainingCourse.findFirst({ where: { id: courseId, tenantId: caller.tenantId }, select: { id: true } }),
            tx.profile.findFirst({ where: { id: userId, tenantId: caller.tenantId }, select: { id: true } }),
          ]);
          if (!course) throw notFound('Course');
          if (!user) throw notFound('User');
          const created = await tx.trainingAssignment.create({
            data: {
              tenantId: caller.tenantId,
              courseId,
              userId,
              assignedBy: caller.userId,
              assignmentType: 'manual',
              assignmentReason: reason,
              dueDate,
            },
            select: { id: true },
          });
          await announceAssignmentsCreated(tx, caller.tenantId, [{ id: created.id, userId }]);
          return created.id;
        })
        .catch((error: unknown) => {
          if (sqlState(error) === UNIQUE_VIOLATION)
            throw conflict('This user already has an active assignment of this course');
          throw error;
        });
      return context.db.trainingAssignment.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),

  startTrainingAssignment: t.withAuth({ may: 'assignments.learn' }).prismaField({
    type: Assignment,
    description: 'Starts an assigned or overdue assignment (workers: their own).',
    args: { assignmentId: t.arg.id({ required: true }) },
    resolve: async (query, _root, args, context) => {
      const id = validate.uuid('assignmentId', args.assignmentId);
      await context.transaction(async (tx) => {
        const { count } = await tx.trainingAssignment.updateMany({
          where: { id, tenantId: context.caller.tenantId, status: { in: ['assigned', 'overdue'] }, startedAt: null },
          data: { status: 'in_progress', startedAt: new Date() },
        });
        if (count === 0) await refuseTransition(tx, context.caller.tenantId, id, 'start');
      });
      return context.db.trainingAssignment.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
}));
