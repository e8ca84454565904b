import type { Prisma } from '../generated/prisma/client.js';
import { todayUtc } from '../core/scalars.js';

export const ASSIGNMENT_STATUSES = ['assigned', 'in_progress', 'completed', 'overdue', 'cancelled'] as const;
export type AssignmentStatusValue = (typeof ASSIGNMENT_STATUSES)[number];

/** Statuses that hold the "one active assignment per course and user" slot. */
export const ACTIVE_STATUSES = ['assigned', 'in_progress', 'overdue'] as const satisfies AssignmentStatusValue[];

/**
 * An active assignment past its due date is overdue whether or not the sweep
 * has stored that yet, so no query shows a stale status. Mirrors the SQL
 * function training_effective_status() used by analytics.
 */
export function effectiveStatus(status: string, dueDate: Date | null, today = todayUtc()): AssignmentStatusValue {
  if ((status === 'assigned' || status === 'in_progress') && dueDate && dueDate < today) return 'overdue';
  return status as AssignmentStatusValue;
}

/** The Prisma filter selecting assignments whose effective status is `status`. */
export function effectiveStatusWhere(
  status: AssignmentStatusValue,
  today = todayUtc(),
): Prisma.TrainingAssignmentWhereInput {
  switch (status) {
    case 'overdue':
      return { OR: [{ status: 'overdue' }, { status: { in: ['assigned', 'in_progress'] }, dueDate: { lt: today } }] };
    case 'assigned':
    case 'in_progress':
      return { status, OR: [{ dueDate: null }, { dueDate: { gte: today } }] };
    default:
      return { status };
  }
}
