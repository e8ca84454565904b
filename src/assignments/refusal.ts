import type { CallerTransaction } from '../core/caller/index.js';
import { conflict, notFound } from '../core/errors.js';
import { effectiveStatus } from './status.js';

/**
 * Throws why a transition of assignment `id` was refused, in the words of its current status: NOT_FOUND
 * when the tenant has no such assignment, else CONFLICT. Every transition is one conditional UPDATE;
 * this runs only when that UPDATE changed nothing.
 */
export async function refuseTransition(
  tx: CallerTransaction,
  tenantId: string,
  id: string,
  action: string,
): Promise<never> {
  const current = await tx.trainingAssignment.findFirst({
    where: { id, tenantId },
    select: { status: true, dueDate: true, startedAt: true },
  });
  if (!current) throw notFound('Assignment');
  const status = effectiveStatus(current.status, current.dueDate);
  const started = current.startedAt && status !== 'completed' && status !== 'cancelled' ? ' (already started)' : '';
  throw conflict(`Cannot ${action} an assignment that is ${status}${started}`);
}
