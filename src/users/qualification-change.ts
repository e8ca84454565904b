import type { CallerTransaction } from '../core/caller/index.js';

/**
 * Announces, after commit, that these users' qualifications may have changed (null: every user of the
 * tenant): every write that can change one calls it in its transaction, after the write (a completion,
 * a cancellation, a revoked certificate, a required course, a shift, an operator; the change of day
 * announces expired completions itself). `qualificationChanged` subscribers re-read the users and push
 * only what really changed. The SQL function (migration 20261202000600_risk_loop) reads no table, so on a
 * distributed database it runs where the API listens, not on the shard that holds the rows; PostgreSQL
 * sends its NOTIFYs at commit only, and a transaction's identical payloads once.
 */
export async function announceQualificationChange(
  tx: CallerTransaction,
  tenantId: string,
  userIds: readonly string[] | null,
): Promise<void> {
  if (userIds?.length === 0) return;
  await tx.$executeRaw`SELECT notify_qualification_changed(${tenantId}::uuid, ${userIds ? [...userIds] : null}::uuid[])`;
}
