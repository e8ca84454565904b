import { Prisma } from '../generated/prisma/client.js';
import { plainLeaf, registerPlainFields, registerPlainRoot, sameTenant } from '../core/plain-pages/index.js';
import { userOf } from '../users/plain-fields.js';
import type { AssignmentFilter } from './assignment.js';
import { ASSIGNMENT_ORDER, tenantAssignments, userAssignments } from './assignment.js';
import { ASSIGNMENT_TABLE } from './assignment-sql.js';
import { PAST_DUE_OVERDUE_STATUSES, type AssignmentStatusValue } from './status.js';

// The Assignment fields PostgreSQL writes as their resolvers serialise them, and the assignment connections
// whose page it reads in one statement (plain pages, core/plain-pages).
const pastDue = PAST_DUE_OVERDUE_STATUSES.map((status) => `'${status}'`).join(', ');

registerPlainFields('Assignment', {
  id: plainLeaf.value('id'),
  // As `effectiveStatus`: a past-due active assignment is overdue.
  status: (row, scope) =>
    Prisma.sql`CASE WHEN ${Prisma.raw(`${row}.status IN (${pastDue}) AND ${row}.due_date`)} < ${scope.today.toISOString().slice(0, 10)}::date THEN 'OVERDUE' ELSE upper(${Prisma.raw(row)}.status) END`,
  assignmentType: plainLeaf.enum('assignment_type'),
  assignmentReason: plainLeaf.value('assignment_reason'),
  dueDate: plainLeaf.value('due_date'),
  assignedAt: plainLeaf.instant('assigned_at'),
  startedAt: plainLeaf.instant('started_at'),
  completedAt: plainLeaf.instant('completed_at'),
  cancelledAt: plainLeaf.instant('cancelled_at'),
  cancelReason: plainLeaf.value('cancel_reason'),
  createdAt: plainLeaf.instant('created_at'),
  updatedAt: plainLeaf.instant('updated_at'),
  course: {
    type: 'Course',
    from: (row, related, scope) =>
      Prisma.sql`FROM training_courses ${Prisma.raw(related)} WHERE ${sameTenant(row, related, scope)} AND ${Prisma.raw(`${related}.id = ${row}.course_id`)}`,
  },
  user: userOf('user_id'),
  assignedBy: userOf('assigned_by'),
  cancelledBy: userOf('cancelled_by'),
  // The row's own trigger columns, when the resolver's condition holds: an entity type (not empty), id and score.
  trigger: {
    type: 'AssignmentTrigger',
    from: (row, related) =>
      Prisma.raw(
        `FROM (SELECT ${row}.tenant_id, ${row}.trigger_score_id AS score_id, ${row}.trigger_entity_type AS entity_type,
                      ${row}.trigger_entity_id AS entity_id, ${row}.trigger_score AS score,
                      ${row}.trigger_threshold AS threshold) ${related}
         WHERE ${related}.entity_type <> '' AND ${related}.entity_id IS NOT NULL AND ${related}.score IS NOT NULL`,
      ),
  },
});

registerPlainFields('AssignmentTrigger', {
  scoreId: plainLeaf.value('score_id'),
  entityType: plainLeaf.enum('entity_type'),
  entityId: plainLeaf.value('entity_id'),
  score: plainLeaf.decimal('score'),
  // `Number(null)`: a trigger recorded without its threshold reads 0.
  threshold: (row) => Prisma.raw(`coalesce(${row}.threshold::float8, 0)`),
  // A worker or driver is a person, named like any user; a zone or equipment is none.
  person: {
    type: 'User',
    from: (row, related) =>
      Prisma.raw(
        `FROM (SELECT ${row}.entity_id AS id, ${row}.tenant_id) ${related} WHERE ${row}.entity_type IN ('worker', 'driver')`,
      ),
  },
});

interface StatusArgs {
  status?: AssignmentStatusValue | null;
}
const page = { table: ASSIGNMENT_TABLE, orderBy: ASSIGNMENT_ORDER };

registerPlainRoot('trainingAssignments', {
  ...page,
  where: (args: { filter?: typeof AssignmentFilter.$inferInput | null }, context) =>
    tenantAssignments(context, args.filter),
});
registerPlainRoot('userTrainingAssignments', {
  ...page,
  where: (args: StatusArgs & { userId?: unknown }, context) =>
    userAssignments(context, args.userId as string, args.status),
});
registerPlainRoot('myTrainingAssignments', {
  ...page,
  where: (args: StatusArgs, context) => userAssignments(context, context.caller.userId, args.status),
});
