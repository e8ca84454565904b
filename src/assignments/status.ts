import type { Prisma } from '../generated/prisma/client.js';
import { todayUtc } from '../core/today.js';

export const ASSIGNMENT_STATUSES = ['assigned', 'in_progress', 'completed', 'overdue', 'cancelled'] as const;
export type AssignmentStatusValue = (typeof ASSIGNMENT_STATUSES)[number];

/** Statuses that hold the "one active assignment per course and user" slot. */
export const ACTIVE_STATUSES = ['assigned', 'in_progress', 'overdue'] as const satisfies AssignmentStatusValue[];

/**
 * The one definition of "overdue" on the TypeScript side: an assignment is overdue when
 * its stored status is 'overdue', or when it is one of these and its due date is before
 * today (UTC). Due today is not overdue yet. The overdue sweep stores that status later,
 * so no read may wait for it. The database applies the same rule in
 * training_effective_status(), mark_overdue_training_assignments() and
 * training_assignment_effective_counts(); tests/db/overdue.test.ts checks that all of
 * them agree with this module.
 */
export const PAST_DUE_OVERDUE_STATUSES = ['assigned', 'in_progress'] as const satisfies AssignmentStatusValue[];

const becomesOverdue = (status: string): boolean => (PAST_DUE_OVERDUE_STATUSES as readonly string[]).includes(status);

/** The status a reader sees: a past-due active assignment is overdue whether or not the sweep has stored it. */
export function effectiveStatus(status: string, dueDate: Date | null, today = todayUtc()): AssignmentStatusValue {
  if (becomesOverdue(status) && dueDate && dueDate < today) return 'overdue';
  return status as AssignmentStatusValue;
}

/** The Prisma filter selecting assignments whose effective status is `status`. */
export function effectiveStatusWhere(
  status: AssignmentStatusValue,
  today = todayUtc(),
): Prisma.TrainingAssignmentWhereInput {
  if (status === 'overdue') {
    return { OR: [{ status: 'overdue' }, { status: { in: [...PAST_DUE_OVERDUE_STATUSES] }, dueDate: { lt: today } }] };
  }
  if (becomesOverdue(status)) return { status, OR: [{ dueDate: null }, { dueDate: { gte: today } }] };
  return { status };
}
