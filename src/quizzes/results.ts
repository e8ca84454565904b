import type { CallerTransaction } from '../core/caller/index.js';
import type { ClosedAttempt } from './attempt-sql.js';

/**
 * What a quiz result does to its assignment: a passed attempt is the quiz's evidence, which completes the
 * assignment when it was the course's last requirement; a pass a regrade takes back retracts it. Requirements and
 * evidence belong to the completions module; until it records them, a result stays on its attempt.
 */

/** Records the passed attempts among those just closed or regraded, in the caller's transaction. */
export async function recordPasses(
  _tx: CallerTransaction,
  _tenantId: string,
  _publicUrl: string,
  _attempts: readonly ClosedAttempt[],
): Promise<void> {}

/** Takes back the quiz evidence of assignments whose passes a regrade turned into failures. */
export async function retractPasses(
  _tx: CallerTransaction,
  _tenantId: string,
  _assignmentIds: string[],
): Promise<void> {}
