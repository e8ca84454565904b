import { randomUUID } from 'node:crypto';
import { certificatePdfPath, newCertificateCode, userAtRisk } from '../certificates/certificates-sql.js';
import { builder } from '../core/builder.js';
import type { CallerContext, CallerTransaction } from '../core/caller/index.js';
import { badInput, conflict, notFound, sqlState } from '../core/errors.js';
import { UNIQUE_VIOLATION } from '../core/sqlstate.js';
import * as validate from '../core/validate.js';
import { Assignment } from './assignment.js';
import { ACTIVE_STATUSES, effectiveStatus } from './status.js';

/**
 * The assignment life cycle: assign → start → complete, cancel, and
 * the overdue sweep. Every transition is one conditional UPDATE, so a
 * concurrent or repeated call can never apply twice; a refused transition is a
 * CONFLICT and changes nothing.
 */

export const AssignTrainingCourseInput = builder.inputType('AssignTrainingCourseInput', {
  fields: (t) => ({
    courseId: t.id({ required: true }),
    userId: t.id({ required: true }),
    dueDate: t.field({ type: 'Date', description: 'Today or later.' }),
    assignmentReason: t.string(),
  }),
});

export const CompleteTrainingAssignmentInput = builder.inputType('CompleteTrainingAssignmentInput', {
  fields: (t) => ({
    assignmentId: t.id({ required: true }),
    score: t.float({ description: '0–100.' }),
    passed: t.boolean({ defaultValue: true, description: 'A failed attempt leaves the assignment re-startable.' }),
    completionTimeMinutes: t.int({ description: 'Minutes spent; more than 0.' }),
  }),
});

/** Why a transition was refused, in the words of the assignment's current status. */
async function refuse(tx: CallerTransaction, context: CallerContext, id: string, action: string): Promise<never> {
  const current = await tx.trainingAssignment.findFirst({
    where: { id, tenantId: context.caller.tenantId },
    select: { status: true, dueDate: true, startedAt: true },
  });
  if (!current) throw notFound('Assignment');
  const status = effectiveStatus(current.status, current.dueDate);
  const started = current.startedAt && status !== 'completed' && status !== 'cancelled' ? ' (already started)' : '';
  throw conflict(`Cannot ${action} an assignment that is ${status}${started}`);
}

function addMonths(day: Date, months: number): Date {
  const result = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth() + months, day.getUTCDate()));
  // 31 Jan + 1 month is the last day of February, not 3 March.
  if (result.getUTCDate() !== day.getUTCDate()) result.setUTCDate(0);
  return result;
}

builder.mutationFields((t) => ({
  assignTrainingCourse: t.withAuth({ may: 'assignments.manage' }).prismaField({
    type: Assignment,
    description: 'Assigns a course to a user by hand (admin, safety officer).',
    args: { input: t.arg({ type: AssignTrainingCourseInput, required: true }) },
    resolve: async (query, _root, { input }, context) => {
      const caller = context.caller;
      const courseId = validate.uuid('input.courseId', input.courseId);
      const userId = validate.uuid('input.userId', input.userId);
      const dueDate = input.dueDate ? validate.notInPast('input.dueDate', input.dueDate) : null;
      const reason = input.assignmentReason
        ? validate.text('input.assignmentReason', input.assignmentReason, { max: 1000 }) || null
        : null;
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
        if (count === 0) await refuse(tx, context, id, 'start');
      });
      return context.db.trainingAssignment.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),

  completeTrainingAssignment: t.withAuth({ may: 'assignments.learn' }).prismaField({
    type: Assignment,
    description:
      'Records an attempt at a started assignment (workers: their own). Passed: the assignment is completed ' +
      'and its completion gets expiry and certificate; failed: it can be started again.',
    args: { input: t.arg({ type: CompleteTrainingAssignmentInput, required: true }) },
    resolve: async (query, _root, { input }, context) => {
      const caller = context.caller;
      const id = validate.uuid('input.assignmentId', input.assignmentId);
      const score = input.score == null ? null : validate.number('input.score', input.score, { min: 0, max: 100 });
      const passed = input.passed ?? true;
      const minutes =
        input.completionTimeMinutes == null
          ? null
          : validate.integer('input.completionTimeMinutes', input.completionTimeMinutes, { min: 1, max: 100_000 });
      if (input.passed === null) throw badInput('input.passed', 'must not be null');
      await context.transaction(async (tx) => {
        const completedAt = new Date();
        const { count } = await tx.trainingAssignment.updateMany({
          where: {
            id,
            tenantId: caller.tenantId,
            status: { in: ['in_progress', 'overdue'] },
            startedAt: { not: null },
          },
          data: passed ? { status: 'completed', completedAt } : { status: 'assigned', startedAt: null },
        });
        if (count === 0) await refuse(tx, context, id, 'complete');
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
          passed && highRiskExpiryMonths !== null && (await userAtRisk(tx, assignment.courseId, assignment.userId))
            ? highRiskExpiryMonths
            : expiryMonths;
        const expiresAt = passed && months ? addMonths(completedAt, months) : null;
        const code = passed && issuesCertificate ? newCertificateCode() : null;
        await tx.trainingCompletion.create({
          data: {
            id: completionId,
            tenantId: caller.tenantId,
            assignmentId: id,
            courseId: assignment.courseId,
            userId: assignment.userId,
            score,
            passed,
            completionTimeMinutes: minutes,
            completedAt,
            expiresAt,
            certificateUrl: code ? context.services.config.publicUrl + certificatePdfPath(code) : null,
          },
        });
        // The certificate is written in the completion's own transaction: both or neither.
        if (code) {
          await tx.certificate.create({
            data: {
              tenantId: caller.tenantId,
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
      });
      return context.db.trainingAssignment.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),

  cancelTrainingAssignment: t.withAuth({ may: 'assignments.manage' }).prismaField({
    type: Assignment,
    description: 'Cancels an active assignment (admin, safety officer).',
    args: { assignmentId: t.arg.id({ required: true }), reason: t.arg.string() },
    resolve: async (query, _root, args, context) => {
      const caller = context.caller;
      const id = validate.uuid('assignmentId', args.assignmentId);
      const reason = args.reason ? validate.text('reason', args.reason, { max: 1000 }) || null : null;
      await context.transaction(async (tx) => {
        const { count } = await tx.trainingAssignment.updateMany({
          where: { id, tenantId: caller.tenantId, status: { in: [...ACTIVE_STATUSES] } },
          data: { status: 'cancelled', cancelledAt: new Date(), cancelledBy: caller.userId, cancelReason: reason },
        });
        if (count === 0) await refuse(tx, context, id, 'cancel');
      });
      return context.db.trainingAssignment.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),

  sweepOverdueTrainingAssignments: t.withAuth({ may: 'assignments.manage' }).int({
    description:
      'Stores OVERDUE on active assignments past their due date and returns how many changed. Reads never ' +
      'depend on it (they compute overdue); it also runs on a schedule.',
    resolve: (_root, _args, context) =>
      context.transaction(async (tx) => {
        const [row] = await tx.$queryRaw<[{ swept: bigint }]>`SELECT mark_overdue_training_assignments() AS swept`;
        return Number(row.swept);
      }),
  }),
}));
