import { queryFromInfo } from '@pothos/plugin-prisma';
import type { TrainingAssignment } from '../generated/prisma/client.js';
import { Assignment } from '../assignments/assignment.js';
import { Completion } from '../completions/completion.js';
import { builder } from '../core/builder.js';
import { selectedFieldNames } from '../core/selection.js';
import * as validate from '../core/validate.js';
import { RECERTIFICATION_TIMEOUT_MS, runRecertification } from './recertification-sql.js';

/**
 * Recertification: before a passed completion expires, the system assigns the
 * course again (type AUTO) and says so (RECERTIFICATION_ASSIGNED, and
 * CERTIFICATE_EXPIRING). Daily on the scheduler (job `recertification`) and on
 * demand here; the rules are in recertification-sql.ts.
 */

builder.prismaObjectFields(Assignment, (t) => ({
  recertificationOf: t.relation('recertificationOf', {
    type: Completion,
    nullable: true,
    description: 'The passed completion this assignment renews (set on recertification assignments).',
  }),
}));

interface RecertificationResultShape {
  assignmentsCreated: number;
  assignments: TrainingAssignment[];
}

export const RecertificationResult = builder.objectRef<RecertificationResultShape>('RecertificationResult').implement({
  description: 'What a recertification run created (or, on a dry run, would create).',
  fields: (t) => ({
    assignmentsCreated: t.exposeInt('assignmentsCreated'),
    assignments: t.field({
      type: [Assignment],
      description: 'The recertification assignments created, soonest due first.',
      resolve: (result) => result.assignments,
    }),
  }),
});

builder.mutationField('runRecertification', (t) =>
  t.withAuth({ may: 'recertification.run' }).field({
    type: RecertificationResult,
    description:
      'Assigns renewals of passed completions whose expiry falls within their course’s recertifyDaysBefore ' +
      '(once per completion; not when the user has an active assignment of the course; a risk-driven, ' +
      'not required course only while the risk persists) and notifies the holders. ' +
      'dryRun: returns what a real run would create and writes nothing.',
    args: { dryRun: t.arg.boolean({ defaultValue: false }) },
    resolve: async (_root, args, context, info) => {
      const dryRun = validate.present('dryRun', args.dryRun) ?? false;
      const loadAssignments = selectedFieldNames(info).has('assignments');
      return context.transaction(
        async (tx) => {
          const outcome = await runRecertification(tx, context.caller.tenantId);
          const assignments =
            loadAssignments && outcome.assignmentIds.length > 0
              ? await tx.trainingAssignment.findMany({
                  ...queryFromInfo({ context, info, path: ['assignments'] }),
                  where: { id: { in: outcome.assignmentIds } },
                  orderBy: [{ dueDate: 'asc' }, { courseId: 'asc' }, { userId: 'asc' }],
                })
              : [];
          const result = { assignmentsCreated: outcome.assignmentsCreated, assignments };
          return result;
        },
        { timeout: RECERTIFICATION_TIMEOUT_MS, dryRun },
      );
    },
  }),
);
