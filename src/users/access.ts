import type { Caller } from '../core/caller/index.js';
import { forbidden } from '../core/errors.js';
import { may } from '../core/permissions.js';

/** A worker may only look at their own training; everyone else at the tenant's. */
export function assertMayReadUser(context: { caller: Caller }, userId: string): void {
  const { caller } = context;
  if (caller.userId !== userId && !may(caller.role, 'training.readAnyone')) {
    throw forbidden('A worker may only read their own training');
  }
}
