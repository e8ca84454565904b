import { randomUUID } from 'node:crypto';
import { builder } from '../core/builder.js';
import { conflict, notFound, unknownAt } from '../core/errors.js';
import * as validate from '../core/validate.js';
import { storeStatements } from '../xapi/index.js';
import {
  EXTENSIONS,
  learnerAgent,
  lmsAuthority,
  lmsStatement,
  moduleActivityId,
  sessionContext,
} from './cmi5-statements.js';
import { CourseModule } from './module-type.js';

/** A learner's progress on the modules of their assignment, and a module waived for them (cmi5's `waived`). */

export const ModuleProgress = builder.prismaObject('ModuleProgress', {
  select: { id: true },
  description: "One learner's progress on one module of their assignment, from the LRS's statements.",
  fields: (t) => ({
    module: t.relation('module', { type: CourseModule }),
    launchedAt: t.expose('launchedAt', { type: 'DateTime', nullable: true }),
    completedAt: t.expose('completedAt', { type: 'DateTime', nullable: true }),
    passedAt: t.expose('passedAt', { type: 'DateTime', nullable: true }),
    satisfiedAt: t.expose('satisfiedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'Done: by its moveOn (an AU), a completed statement (a video or document), or waived.',
    }),
    waived: t.exposeBoolean('waived'),
    scoreScaled: t.exposeFloat('scoreScaled', { nullable: true }),
    secondsSpent: t.exposeFloat('secondsSpent'),
    positionSeconds: t.exposeFloat('positionSeconds', {
      nullable: true,
      description: 'Videos: the furthest point reached.',
    }),
  }),
});

builder.queryField('moduleProgress', (t) =>
  t.withAuth({ may: 'content.learn' }).prismaField({
    type: [ModuleProgress],
    description:
      "Progress on the modules of an assignment's course that its learner began, in the course's order (a module " +
      'not listed is not begun): the assignee their own, an admin or safety officer any of the tenant.',
    args: { assignmentId: t.arg.id({ required: true }) },
    resolve: async (query, _root, args, context) => {
      const assignmentId = validate.uuid('assignmentId', args.assignmentId);
      const { tenantId, userId, role } = context.caller;
      const manager = role === 'admin' || role === 'safety_officer';
      return context.transaction(async (tx) => {
        const assignment = await tx.trainingAssignment.findFirst({
          where: { tenantId, id: assignmentId, ...(manager ? {} : { userId }) },
          select: { id: true },
        });
        if (!assignment) throw notFound('Assignment');
        return tx.moduleProgress.findMany({
          ...query,
          where: { tenantId, assignmentId },
          orderBy: [{ module: { position: 'asc' } }, { id: 'asc' }],
        });
      });
    },
  }),
);

/** cmi5's reasons for waiving an AU (in its spelling, as the statement carries them). */
const REASONS = {
  TESTED_OUT: 'Tested Out',
  EQUIVALENT_AU: 'Equivalent AU',
  EQUIVALENT_OUTSIDE_ACTIVITY: 'Equivalent Outside Activity',
  ADMINISTRATIVE: 'Administrative',
} as const;
const WaiveReason = builder.enumType('WaiveReason', {
  values: Object.keys(REASONS) as (keyof typeof REASONS)[],
  description: 'Why a module is waived (cmi5).',
});

builder.mutationField('waiveCourseModule', (t) =>
  t.withAuth({ may: 'content.manage' }).prismaField({
    type: ModuleProgress,
    description:
      "Waives a module of an open assignment (admin, safety officer): the LMS writes cmi5's `waived` statement, " +
      'which satisfies the module (and, with the other required modules, the content requirement). CONFLICT when ' +
      'the assignment is closed or the module already done.',
    args: {
      assignmentId: t.arg.id({ required: true }),
      moduleId: t.arg.id({ required: true }),
      reason: t.arg({ type: WaiveReason, required: true }),
    },
    resolve: async (query, _root, args, context) => {
      const assignmentId = validate.uuid('assignmentId', args.assignmentId);
      const moduleId = validate.uuid('moduleId', args.moduleId);
      const { tenantId } = context.caller;
      const { publicUrl } = context.services.config;
      return context.transaction(async (tx) => {
        const [row] = await tx.$queryRaw<
          {
            user_id: string;
            status: string;
            module_id: string | null;
            activity_id: string | null;
            move_on: string | null;
            done: boolean;
          }[]
        >`
          SELECT a.user_id::text, a.status, m.id::text AS module_id, m.activity_id, m.move_on,
                 coalesce(g.satisfied_at IS NOT NULL, false) AS done
          FROM training_assignments a
          LEFT JOIN course_modules m ON m.tenant_id = a.tenant_id AND m.course_id = a.course_id AND m.id = ${moduleId}::uuid
          LEFT JOIN module_progress g ON g.tenant_id = a.tenant_id AND g.assignment_id = a.id AND g.module_id = m.id
          WHERE a.tenant_id = ${tenantId}::uuid AND a.id = ${assignmentId}::uuid
          FOR UPDATE OF a`;
        if (!row) throw notFound('Assignment');
        if (!row.module_id) throw unknownAt('moduleId', "no such module in the assignment's course", 'module');
        if (!['assigned', 'in_progress', 'overdue'].includes(row.status)) {
          throw conflict(`The assignment is ${row.status}: nothing left to waive`);
        }
        if (row.done) throw conflict('This module is already done for this learner');
        const activityId = row.activity_id ?? moduleActivityId(moduleId);
        const session = { registration: assignmentId, sessionId: randomUUID(), activityId };
        const waived = lmsStatement(
          'waived',
          learnerAgent(publicUrl, row.user_id, null),
          activityId,
          sessionContext(session, { [EXTENSIONS.moveOn]: row.move_on ?? 'NotApplicable' }),
          { success: true, completion: true, extensions: { [EXTENSIONS.reason]: REASONS[args.reason] } },
        );
        // The LRS's hook (progress.ts) marks the module waived and satisfied in this transaction.
        await storeStatements(tx, tenantId, [waived], lmsAuthority(publicUrl), { publicUrl });
        return tx.moduleProgress.findFirstOrThrow({
          ...query,
          where: { tenantId, assignmentId, moduleId },
        });
      });
    },
  }),
);
