import { builder } from '../core/builder.js';
import * as validate from '../core/validate.js';
import { announceQualificationChange } from '../users/qualification-change.js';
import { Assignment } from './assignment.js';
import { refuseTransition } from './refusal.js';
import { ACTIVE_STATUSES } from './status.js';

/** The life cycle's last steps besides completing (see lifecycle.ts): cancelling, and the overdue sweep. */

builder.mutationFields((t) => ({
  cancelTrainingAssignment: t.withAuth({ may: 'assignments.manage' }).prismaField({
    type: Assignment,
    description: 'Cancels an active assignment (admin, safety officer).',
    args: { assignmentId: t.arg.id({ required: true }), reason: t.arg.string() },
    resolve: async (query, _root, args, context) => {
      const caller = context.caller;
      const id = validate.uuid('assignmentId', args.assignmentId);
      const reason = args.reason ? validate.text('reason', args.reason, { max: 1000 }) || null : null;
      await context.transaction(async (tx) => {
        const cancelled = await tx.trainingAssignment.updateManyAndReturn({
          where: { id, tenantId: caller.tenantId, status: { in: [...ACTIVE_STATUSES] } },
          data: { status: 'cancelled', cancelledAt: new Date(), cancelledBy: caller.userId, cancelReason: reason },
          select: { userId: true },
        });
        if (cancelled.length === 0) await refuseTransition(tx, caller.tenantId, id, 'cancel');
        await announceQualificationChange(
          tx,
          caller.tenantId,
          cancelled.map((row) => row.userId),
        );
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
