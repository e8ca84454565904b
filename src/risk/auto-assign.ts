import { queryFromInfo } from '@pothos/plugin-prisma';
import type { TrainingAssignment } from '../generated/prisma/client.js';
import { Assignment, EntityType } from '../assignments/assignment.js';
import { builder } from '../core/builder.js';
import { selectedFieldNames } from '../core/selection.js';
import * as validate from '../core/validate.js';
import { AUTO_ASSIGN_TIMEOUT_MS, runAutoAssign, type AutoAssignOutcome } from './auto-assign-sql.js';
import { riskSettings } from './settings.js';

interface AutoAssignResultShape extends Omit<AutoAssignOutcome, 'assignmentIds'> {
  success: boolean;
  tenantId: string;
  dryRun: boolean;
  assignments: TrainingAssignment[];
}

export const AutoAssignResult = builder.objectRef<AutoAssignResultShape>('AutoAssignResult').implement({
  description: 'What a risk-based auto-assignment run created (or, on a dry run, would create).',
  fields: (t) => ({
    success: t.exposeBoolean('success'),
    tenantId: t.exposeID('tenantId'),
    assignmentsCreated: t.exposeInt('assignmentsCreated', {
      description: 'New assignments (on a dry run: the ones a real run would create now).',
    }),
    coursesChecked: t.exposeInt('coursesChecked', { description: 'Auto-assign courses with a risk threshold.' }),
    scoresChecked: t.exposeInt('scoresChecked', {
      description: 'Latest scores per entity in scope, at or above minRiskScore.',
    }),
    dryRun: t.exposeBoolean('dryRun'),
    assignments: t.field({
      type: [Assignment],
      description: 'The assignments created, highest trigger score first.',
      resolve: (result) => result.assignments,
    }),
  }),
});

builder.mutationField('autoAssignTraining', (t) =>
  t.withAuth({ may: 'risk.autoAssign' }).field({
    type: AutoAssignResult,
    description:
      'Assigns auto-assign courses to the users reached by high latest risk scores: one ' +
      'risk-based assignment per course and user, skipping users with an active assignment or a current ' +
      'passed completion of the course. Idempotent. dryRun: returns what a real run would create and writes nothing.',
    args: {
      entityType: t.arg({ type: EntityType, description: 'Only scores about this entity type.' }),
      entityId: t.arg.id({ description: 'Only scores about this entity.' }),
      minRiskScore: t.arg.float({ defaultValue: 0, description: 'Ignore latest scores below this (0–100).' }),
      dryRun: t.arg.boolean({ defaultValue: false }),
    },
    resolve: async (_root, args, context, info) => {
      const caller = context.caller;
      const entityId = args.entityId == null ? null : validate.uuid('entityId', args.entityId);
      const minRiskScore = validate.number('minRiskScore', validate.present('minRiskScore', args.minRiskScore) ?? 0, {
        min: 0,
        max: 100,
      });
      const dryRun = validate.present('dryRun', args.dryRun) ?? false;
      const loadAssignments = selectedFieldNames(info).has('assignments');
      return context.transaction(
        async (tx) => {
          const outcome = await runAutoAssign(tx, {
            tenantId: caller.tenantId,
            assignedBy: caller.userId,
            dueDays: riskSettings.of(context.services.config).autoAssignDueDays,
            scope: { entityType: args.entityType, entityId, minRiskScore },
            returnIds: loadAssignments,
          });
          // Loaded inside the transaction with the client's nested selection, so a dry run can
          // show the rows (course, completion…) before they are rolled back.
          const assignments =
            loadAssignments && outcome.assignmentIds.length > 0
              ? await tx.trainingAssignment.findMany({
                  ...queryFromInfo({ context, info, path: ['assignments'] }),
                  where: { id: { in: outcome.assignmentIds } },
                  orderBy: [{ triggerScore: 'desc' }, { courseId: 'asc' }, { userId: 'asc' }],
                })
              : [];
          const result: AutoAssignResultShape = {
            success: true,
            tenantId: caller.tenantId,
            assignmentsCreated: outcome.assignmentsCreated,
            coursesChecked: outcome.coursesChecked,
            scoresChecked: outcome.scoresChecked,
            dryRun,
            assignments: assignments as TrainingAssignment[],
          };
          return result;
        },
        { timeout: AUTO_ASSIGN_TIMEOUT_MS, dryRun },
      );
    },
  }),
);
